"""What every app that talks to WorkOS shares: the SDK clients (client.py), the one pipeline of
WorkOS events, from webhooks and the Events API alike (events.py), and the toolkit that mirrors
WorkOS lists into tables (mirror.py). `sso` and `directory` plug their handlers into the
pipeline; nothing here knows about SSO or directories."""
