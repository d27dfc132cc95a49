"""The dashboard's users: passwords and logging in (their rows: storage/dashboard_users.py)."""
