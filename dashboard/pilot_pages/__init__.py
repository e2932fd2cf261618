"""Pilot pages that read across apps: the pilot list, the pilot page, the pilot API list."""
