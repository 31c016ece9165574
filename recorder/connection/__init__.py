"""One peer connection to Meet's Media API: its offer, data channels, and audio and video taps."""
