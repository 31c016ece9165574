"""In-process Meet Media API recorder (see DESIGN.md §5); it lands with issue #3."""
