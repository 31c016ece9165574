"""The Meet Media API emulator: Meet's SFU answering ``connectActiveConference`` over aiortc."""
