"""Policies for calls to outside services, shared by bot/ and recorder/ (imports neither)."""
