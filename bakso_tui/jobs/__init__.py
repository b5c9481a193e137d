"""Scheduled jobs: the intake inbox now; the daily batches and the scheduler daemon later."""
