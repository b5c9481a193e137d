"""BAKSO back office: the Dukcapil side of village submissions."""

__version__ = "0.1.0"
