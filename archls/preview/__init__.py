"""The architecture as a picture: one layered layout (``layout``) for the interactive page
(``page``) and the SVG export (``svg``), the scene both draw (``scene``), and the loopback server
that keeps a browser's page live (``server``)."""
