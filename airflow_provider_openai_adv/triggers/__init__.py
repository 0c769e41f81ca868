"""Deferrable triggers: waiting for OpenAI jobs without holding a worker slot."""
