"""The demo database: synthetic residents, submissions and scans."""
