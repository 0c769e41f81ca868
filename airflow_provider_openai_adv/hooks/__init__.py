"""Hooks: the Airflow Connection and the catalogue of API actions."""
