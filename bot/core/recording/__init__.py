"""Recording a call from chat: the flow, its events, the files after it, Meet's artifacts."""
