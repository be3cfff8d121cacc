"""The HTML page: template, styles and script, all inlined into one file."""
