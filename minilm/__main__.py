"""The ``minilm`` command (also ``python -m minilm``).

    python -m minilm grade              # score table of every exercise (yours, in exercises/)
    python -m minilm grade ex00 ex03    # some of them; "ex03" and "ex03_gpt" both work
    python -m minilm grade --lang zh    # in Chinese: your exercises/zh/, the table in Chinese
    python -m minilm grade --target solutions
    python -m minilm map                # the course map as a Markdown table (--lang zh: Chinese)
    python -m minilm map --update README.md   # rewrite the map between its markers (README.zh.md: Chinese)
    python -m minilm viz export --out slides --theme dark   # every figure for slides
    python -m minilm arena              # the objectives at equal budget: JSON + Markdown table
    python -m minilm arena --seeds 5 --objectives clm mlm glm --budget flops --out my-arena
    python -m minilm i18n sync          # Chinese notebooks: English code cells in, stale text out
    python -m minilm i18n sync --check  # exit 1 if a Chinese notebook is out of step
    python -m minilm i18n status        # translated / stale / untranslated cells per notebook
    python -m minilm i18n sync --mark exercises/zh/ex03_gpt.py   # a file's twin is translated again
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _use_lang(args: argparse.Namespace) -> None:
    """``--lang`` sets ``MINILM_LANG`` for this command (the grader's words and folder, the map)."""
    if getattr(args, "lang", None):
        os.environ["MINILM_LANG"] = args.lang


def _grade(args: argparse.Namespace) -> int:
    from minilm.grade import grade, learner_target, print_table, resolve_names
    from minilm.lang import t

    _use_lang(args)
    target = args.target or learner_target()
    try:
        names = resolve_names(args.exercises or None)
    except (ValueError, TypeError) as err:
        print(f"minilm grade: {err}", file=sys.stderr)
        return 2
    if not names:
        print("minilm grade: no graded exercises found (tests/exercises/test_ex*.py)", file=sys.stderr)
        return 2
    print(t("grade.grading", target=target, count=len(names), s="s" * (len(names) != 1)), flush=True)
    rows = grade(names, target=target)
    print_table(rows)
    for row in rows:  # why an exercise scores less than its tests say, always shown
        for message in row.errors:
            print(t("grade.could_not_import", exercise=row.exercise, message=message))
        for message in row.problems:
            print(f"{row.exercise}: {message}")
    if not args.verbose and any(r.passed < r.total or r.errors for r in rows):
        print("\n" + t("grade.hint", folder=target))
    if args.verbose:
        for row in rows:
            for test in row.tests:
                if test.outcome != "passed":
                    print(f"{row.exercise}::{test.name}: {test.outcome}: {test.message}")
    # A learner with 0 points is not an error: the table is the answer.
    return 0


def _map(args: argparse.Namespace) -> int:
    from minilm.syllabus import course_map_markdown, update_readme

    _use_lang(args)
    if args.update:
        changed = update_readme(Path(args.update))
        print(f"{args.update}: course map {'updated' if changed else 'already up to date'}")
    else:
        print(course_map_markdown())
    return 0


def _viz_export(args: argparse.Namespace) -> int:
    from minilm.viz.slides import export_all

    try:
        paths = export_all(args.out, theme=args.theme, names=args.only or None)
    except ValueError as err:
        print(f"minilm viz export: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} files to {args.out}/ (open gallery.html in any browser, offline)")
    return 0


def _arena(args: argparse.Namespace) -> int:
    from minilm.arena import ArenaConfig, markdown_table, run_arena
    from minilm.course import use_threads

    use_threads()  # MINILM_THREADS, as in the notebooks
    try:
        overrides = {"budget": args.budget, "seeds": tuple(range(args.seeds))}
        if args.objectives:
            overrides["objectives"] = tuple(args.objectives)
        if args.tokens:
            overrides["tokens"] = args.tokens
        config = (ArenaConfig.tiny if args.tiny else ArenaConfig)(**overrides)
        results = run_arena(config, args.out)
    except (ValueError, TypeError) as err:
        print(f"minilm arena: {err}", file=sys.stderr)
        return 2
    print(markdown_table(results))
    print(f"\nResults: {Path(args.out) / 'arena.json'} and {Path(args.out) / 'arena.md'}")
    return 0


def _i18n(args: argparse.Namespace) -> int:
    from minilm import i18n, i18n_files
    from minilm.settings import course_root

    root = course_root()
    try:
        if args.i18n_command == "sync" and (args.mark or args.mark_all):
            for target in args.mark or []:
                if ":" not in target and Path(target).suffix in (".py", ".md"):
                    english = i18n_files.mark_translated(root, target)
                    print(f"{target}: marked as translated from {english.as_posix()} as it is now")
                    continue
                notebook, _, cell = target.rpartition(":")
                if not notebook or not cell:
                    raise ValueError("--mark takes NOTEBOOK:CELL_ID, e.g. 06_bart_noising:e7b2c4d8, "
                                     f"got {target!r}")
                i18n.mark_translated(root, notebook, [cell])
                print(f"{notebook}: cell {cell} marked as translated from the current English")
            for notebook in args.mark_all or []:
                marked = i18n.mark_translated(root, notebook)
                print(f"{notebook}: {len(marked)} markdown cells marked as translated from the current "
                      "English")
    except ValueError as err:
        print(f"minilm i18n: {err}", file=sys.stderr)
        return 2
    check = args.i18n_command == "status" or args.check
    reports, missing = i18n.sync(root, write=not check)
    files = i18n_files.check_all(root)
    if args.i18n_command == "status":
        print(i18n.status_table(reports, missing))
        print("\n" + "\n".join(f"{f.twin}: {f.state}{', code differs' if f.code else ''}" for f in files))
        return 0
    problems = [line for r in reports for line in r.problems(changed_on_disk=not check)]
    problems += [line for f in files for line in f.problems()]
    if not check:
        for r in reports:
            for change in r.changes:
                print(f"synced: {r.twin} {change}")
    for line in problems:
        print(line)
    if missing:
        print("no Chinese notebook yet: " + ", ".join(missing))
    if not problems:
        print(f"{len(reports)} Chinese notebook{'s' * (len(reports) != 1)} and {len(files)} Chinese "
              "files in step with the English")
    return 1 if check and problems else 0


def build_parser() -> argparse.ArgumentParser:
    from minilm._grade_run import TARGETS
    from minilm.lang import LANGS

    parser = argparse.ArgumentParser(
        prog="minilm", description="minilm course tools: grade your exercises, print the course map, "
                    "export the figures, run the objective arena.")
    sub = parser.add_subparsers(dest="command", metavar="{grade,map,viz,arena,i18n}")
    g = sub.add_parser("grade", help="run the graded tests and print a score table",
                       description="Run tests/exercises/ against your exercises/ (or the solutions/) "
                                   "and print: exercise, tests passed, points.")
    g.add_argument("exercises", nargs="*", metavar="exNN",
                   help="exercises to grade, e.g. ex00 or ex00_warmup (default: all)")
    g.add_argument("--target", choices=TARGETS,
                   help="grade your exercises/ (default; exercises/zh/ with --lang zh) "
                        "or the course's solutions/")
    g.add_argument("--lang", choices=LANGS,
                   help="language of the table and hints, and whose files: zh grades exercises/zh/ "
                        "(default: $MINILM_LANG, else en)")
    g.add_argument("-v", "--verbose", action="store_true", help="also list every test that does not pass")
    g.set_defaults(func=_grade)
    m = sub.add_parser("map", help="print the course map (syllabus ID -> notebook section -> code)")
    m.add_argument("--update", metavar="README.md",
                   help="rewrite the map between <!-- course-map:start/end --> in this file "
                        "(in Chinese for a file named *.zh.md)")
    m.add_argument("--lang", choices=LANGS, help="language of the printed map (default: $MINILM_LANG)")
    m.set_defaults(func=_map)
    v = sub.add_parser("viz", help="pictures for teaching: 'viz export' writes every figure")
    vsub = v.add_subparsers(dest="viz_command", metavar="{export}", required=True)
    e = vsub.add_parser("export", help="write every figure (PNG + SVG), animation (GIF) and gallery.html",
                        description="Write every figure of the course as PNG (200 dpi) and SVG, the "
                                    "step-by-step animations as GIF, and gallery.html, a page of every "
                                    "attention mask that works offline in any browser.")
    e.add_argument("--out", required=True, help="folder to write into (created if missing)")
    e.add_argument("--theme", choices=("light", "dark"), default="light", help="slide background")
    e.add_argument("--only", nargs="*", metavar="NAME", help="export only these figures")
    e.set_defaults(func=_viz_export)
    a = sub.add_parser("arena", help="pretrain CLM, MLM, prefix LM, BART, T5 and GLM at equal budget and "
                                     "compare them on the same metrics",
                       description="Pretrain every objective at the same size and budget, judge each on the "
                                   "shared metrics, write arena.json and arena.md to --out (a rerun "
                                   "resumes: finished cells are kept).")
    a.add_argument("--budget", choices=("tokens", "flops"), default="tokens",
                   help="equal corpus tokens (default) or equal estimated training FLOPs")
    a.add_argument("--seeds", type=int, default=3, help="seeds per objective (default 3)")
    a.add_argument("--objectives", nargs="+", metavar="NAME",
                   help="objectives to run (default: clm mlm prefix_lm bart t5 glm)")
    a.add_argument("--tokens", type=int, help="corpus tokens per cell (default: ArenaConfig's)")
    a.add_argument("--tiny", action="store_true", help="the seconds-long budget of the tests")
    a.add_argument("--out", default="artifacts/arena",
                   help="folder for arena.json and arena.md (default: artifacts/arena)")
    a.set_defaults(func=_arena)
    i = sub.add_parser("i18n", help="keep the Chinese notebooks (notebooks/zh/), exercise files "
                                     "(exercises/zh/) and GRADING.zh.md in step with the English")
    isub = i.add_subparsers(dest="i18n_command", metavar="{sync,status}", required=True)
    s = isub.add_parser("sync", help="copy code cells and the cell list from the English; report stale text",
                        description="For every notebooks/zh/NAME.ipynb: copy each English code cell by id "
                                    "(outputs stripped), add the cells it lacks (English text, flagged "
                                    "untranslated), remove the cells the English dropped, keep the English "
                                    "order; then list the markdown cells whose English text changed since "
                                    "they were translated (stale) or that are not translated yet.")
    s.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if a notebook is out of step, stale or untranslated")
    s.add_argument("--mark", nargs="+", metavar="NOTEBOOK:CELL",
                   help="record that these cells (or files: exercises/zh/ex03_gpt.py, docs/GRADING.zh.md) "
                        "are translated from the English as it is now")
    s.add_argument("--mark-all", nargs="+", metavar="NOTEBOOK",
                   help="the same for every markdown cell of these notebooks")
    s.set_defaults(func=_i18n)
    st = isub.add_parser("status", help="translated / stale / untranslated markdown cells per notebook")
    st.set_defaults(func=_i18n, check=True, mark=None, mark_all=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
