"""Reports of a scored cluster: the explanation of a unit, the Excel summary, the HTML page."""
