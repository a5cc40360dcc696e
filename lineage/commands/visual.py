"""``lineage browse`` and ``lineage graph``: seeing one student's lineage.

``browse`` prints (and with ``--open`` opens) a Neo4j Browser link whose editor holds the
exposure query (``cypher/queries/browse_exposure.cypher``) with the student's pseudonym;
``graph`` draws the lineage with Graphviz to an SVG, PNG or self-contained HTML file.
"""

from __future__ import annotations

import time
import webbrowser

import click

from lineage.commands.common import (
    ISO_DATE,
    OUT_PATH,
    STUDENT_ID,
    examples,
    pseudonymizer,
    warn_if_incomplete,
)


@click.command("browse", epilog=examples(
    "lineage browse RSD-1001",
    "lineage browse RSD-1001 --open"))
@click.argument("student_id", type=STUDENT_ID)
@click.option("--open", "open_", is_flag=True, help="Open the link in the default web browser.")
@click.option("--browser-url", metavar="URL",
              help="Neo4j Browser address (default: http://<NEO4J_URI host>:"
                   "LINEAGE_HTTP_PORT/browser/).")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Check that the student is in the graph before printing the link.")
@click.option("--serve-guide", is_flag=True,
              help="Also serve the Browser guide (cypher/browser/guide.html) on localhost with "
                   "CORS until Ctrl-C, and print its :play command.")
@click.option("--guide-port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port for --serve-guide.")
@click.pass_context
def browse(ctx, student_id, open_, browser_url, check, serve_guide, guide_port):
    """A Neo4j Browser link showing STUDENT_ID's lineage subgraph (the ID is hashed).

    The link opens Browser with the exposure query (cypher/queries/browse_exposure.cypher) in
    the editor, the student's pseudonym written in for  :param student_key => '<pseudonym>'
    (also printed); press Run (Ctrl+Enter). The raw ID never appears in the link. In Browser,
    drag cypher/browser/style.grass onto the window for the project's colours and captions.
    """
    from lineage.render import browser

    app = ctx.find_root().obj
    pseudo = pseudonymizer(ctx)
    key = pseudo(student_id)
    from lineage.questions.lookups import os_user, record_lookup

    with app.store() as store:
        if check:
            from lineage.questions.student import student_lineage

            student_lineage(store, pseudo, student_id)  # NotFoundError for an unknown student
        record_lookup(store, os_user(), "browse", key)  # the link shows the student's lineage
    settings = app.neo4j
    no_auth = settings.auth() is None  # the local server: its HOME/password
    base = browser_url or browser.browser_base(app.lineage.http_port, settings.uri)
    url = browser.browse_url(browser.browser_query_text(key), base=base, bolt_uri=settings.uri,
                            user=settings.user, no_auth=no_auth, database=settings.database)
    click.echo(f"student_key (pseudonym): {key}")
    click.echo(f"parameter for the guide and cypher/queries/browse_exposure.cypher:  "
               f"{browser.param_command(key)}")
    click.echo("Neo4j Browser link (the query is in the editor; press Run to draw the graph):")
    click.echo(url)
    if open_:
        webbrowser.open(url)
    if serve_guide:
        server, guide = browser.serve_guide(guide_port)
        click.echo(f"guide served at {guide}; in Browser run:  :play {guide}")
        click.echo("or open: " + browser.browse_url(guide, base=base, bolt_uri=settings.uri,
                                                     user=settings.user, no_auth=no_auth,
                                                     database=settings.database, cmd="play"))
        click.echo("(Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


@click.command("graph", epilog=examples(
    "lineage graph RSD-1001 --out rsd-1001.svg",
    "lineage graph RSD-1001 --out rsd-1001.html --as-of 2024-06-01"))
@click.argument("student_id", type=STUDENT_ID)
@click.option("--out", "out", required=True, type=OUT_PATH,
              help="Output file: .svg, .png or .html (self-contained page with a legend).")
@click.option("--as-of", type=ISO_DATE, help="Answer as the graph stood on this date.")
@click.option("--label", "label", default=None,
              help="What the student node shows (default: the ID as typed; 'student' hides it).")
@click.option("--title", default="", help="Title of the picture.")
@click.pass_context
def graph(ctx, student_id, out, as_of, label, title):
    """Draw STUDENT_ID's lineage: student -> datasets -> flows -> actors, offline (Graphviz).

    Datasets and actors are coloured identifiable / de-identified / aggregate; edges carry
    the flow or grant with its legal basis, agreement and dates. Needs Graphviz 'dot'
    (Debian: apt-get install -y graphviz).
    """
    from lineage.questions import student as answers
    from lineage.questions.picture import student_paths
    from lineage.render.documents import check_picture_path, render_picture

    check_picture_path(out)         # before the answer and its look-up record
    pseudo = pseudonymizer(ctx)
    from lineage.questions.lookups import os_user, record_lookup

    with ctx.find_root().obj.store() as store:
        warn_if_incomplete(store)
        data = answers.exposure(store, pseudo, student_id, as_of=as_of)
        paths = student_paths(store, pseudo, student_id, as_of=as_of)
        record_lookup(store, os_user(), "picture", data["student"], f"format={out.suffix[1:]}")
    shown = label if label is not None else student_id.strip()
    path = render_picture(data, out, path_data=paths, title=title, student_label=shown)
    click.echo(f"wrote {path} ({len(data['actors'])} actors)")


COMMANDS = [browse, graph]
