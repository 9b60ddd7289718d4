/// The page every HTML report is written on (experiment reports, sweep reports): one inline
/// style sheet and no external resources, so a report opens without a network.
public enum HTMLPage {
    /// A complete page with `title` and the HTML `body`.
    public static func render(title: String, body: String) -> String {
        """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(SVGRenderer.escape(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
        .claim { font-size: 1.1em; background: #f5f7fb; padding: 0.8em 1em; border-left: 4px solid #1f77b4; }
        .verdict { font-size: 1.15em; padding: 0.6em 1em; border-radius: 4px; }
        .holds { background: #e6f4ea; color: #1e6b34; } .fails { background: #fdecea; color: #9b1c1c; } .inconclusive { background: #fff4e0; color: #8a5300; }
        table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; font-size: 0.92em; }
        th { background: #f2f2f2; } code, pre { font-family: Menlo, Consolas, monospace; font-size: 0.85em; }
        pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; max-height: 24em; }
        figure { margin: 1.2em 0; } figcaption { color: #555; font-size: 0.9em; max-width: 760px; }
        .ours { color: #b35900; }
        </style></head><body>\(body)
        <p style="color:#777;font-size:0.85em;margin-top:3em">Written by Noether. Every figure is inline SVG; this page needs no network.</p></body></html>
        """
    }
}
