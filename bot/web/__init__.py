"""The web chat widget's server: serves web/demo and the built web/dist (see server.py)."""
