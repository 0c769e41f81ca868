"""Sensors: waiting for OpenAI jobs, poking, rescheduling or deferring."""
