"""The page around a report's sections: plain HTML and CSS, readable with scripts off and printed."""

from __future__ import annotations

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vae-explorer">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }}
.made {{ color: #666; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ text-align: left; padding: .2em .8em .2em 0; border-bottom: 1px solid #eee; vertical-align: top; }}
th {{ font-weight: 600; color: #444; }}
td {{ font-family: ui-monospace, monospace; word-break: break-all; }}
figure {{ margin: 1em 0; }} figcaption {{ color: #555; font-size: .9em; margin-top: .3em; }}
img {{ image-rendering: pixelated; max-width: 100%; height: auto; }}
svg {{ max-width: 100%; height: auto; }}
@media print {{ section {{ break-inside: avoid; }} }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
