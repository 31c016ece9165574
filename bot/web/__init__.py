"""The HTTP pages: file links, the meeting page, health and the Google callback."""
