"""The presentation view: large type, high contrast, fewer controls, the slider as large as the screen allows.

On with ``?view=present`` in the address or the header's toggle; it is a CSS class on the page
(``imgcr-present``), so switching costs no server round trip. Controls marked with the
``imgcr-advanced`` class are hidden in this view.
"""

from __future__ import annotations

CLASS = "imgcr-present"
ADVANCED = "imgcr-advanced"

CSS = f"""
img.imgcr-pixels, #slider img {{ image-rendering: pixelated; image-rendering: crisp-edges; }}
img.imgcr-pixels {{ max-width: none !important; height: auto; display: block; }}
.imgcr-zoom {{ display: flex; gap: 12px; overflow-x: auto; align-items: flex-start; }}
.imgcr-zoom figcaption {{ font-size: 13px; }}
#summary table, #restore-table table {{ font-size: 12.5px; }}
/* Gradio's "Error" badge would cover the status line's own reason (on a phone, its first words): keep it in the
   corner, above the text, which says what went wrong */
#status > [data-testid="status-tracker"], #restore-status > [data-testid="status-tracker"] {{
  inset: -22px 0 auto auto !important; width: auto !important; height: auto !important; background: transparent !important; }}
#summary th, #summary td, #restore-table th, #restore-table td {{ padding: 2px 4px !important; }}
/* Gradio labels file sizes in KiB as "KB": sizes are given in bytes in the tables, so the links just say download */
.file-preview td.download a {{ font-size: 0 !important; display: inline-block; line-height: 1.4; }}
.file-preview td.download a::after {{ content: "download ⇣"; font-size: 13px; }}
/* a phone: the title and intro take the full width, the presentation toggle goes under them */
@media (max-width: 700px) {{
  #header {{ flex-direction: column; }}
  #header > * {{ min-width: 100% !important; }}
  #header h1 {{ font-size: 1.4em; }}
}}
body.{CLASS}, body.{CLASS} .gradio-container {{
  --body-text-color: #000; --block-label-text-color: #000; --body-text-color-subdued: #111;
  --background-fill-primary: #fff; --block-background-fill: #fff; --border-color-primary: #000;
  --text-md: 22px; --text-lg: 26px; --text-sm: 20px; --text-xs: 18px; --block-label-text-size: 20px;
  --block-title-text-size: 22px; --block-info-text-size: 20px; --input-text-size: 22px; --table-text-size: 20px;
  font-size: 22px; color: #000; background: #fff;
}}
body.{CLASS} .gradio-container {{ max-width: 100% !important; padding: 8px 16px !important; }}
body.{CLASS} .prose, body.{CLASS} .prose p, body.{CLASS} .prose li, body.{CLASS} table {{ font-size: 22px !important; line-height: 1.4; }}
body.{CLASS} button, body.{CLASS} input, body.{CLASS} select, body.{CLASS} label, body.{CLASS} textarea {{ font-size: 20px !important; }}
body.{CLASS} .{ADVANCED} {{ display: none !important; }}
body.{CLASS} #slider, body.{CLASS} #restore-slider {{ min-height: 70vh; }}
body.{CLASS} #slider img, body.{CLASS} #restore-slider img {{ max-height: 82vh !important; }}
"""

JS = f"""
() => {{
  if (new URLSearchParams(window.location.search).get("view") === "present") {{
    document.body.classList.add("{CLASS}");
  }}
}}
"""

TOGGLE_JS = f"() => {{ document.body.classList.toggle('{CLASS}'); }}"
