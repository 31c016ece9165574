"""A meeting's life: its transition table and its card in each state."""
