"""Promotion codes and fee waivers: what a seat costs less, who bears it, and how often."""
