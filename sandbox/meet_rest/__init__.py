"""The Meet REST v2 stand-in: records, their store and artifacts, request rules, the routes."""
