"""``scratchnn datasets`` and ``scratchnn split``: example tables, and a test set held out of
a table."""

from __future__ import annotations

import argparse

from ._common import check_output, number_type, seed_int, table_arguments, table_options

# --------------------------------------------------------------------------- datasets


def add_datasets(subparsers):
    from ..example_tables import EXAMPLE_TABLES

    parser = subparsers.add_parser(
        "datasets",
        help="write an example table (iris, moons, circles, spiral) as CSV",
        description="Write an example dataset as a CSV file with a header row, the label column "
        "last: the tables the documentation's command-line examples use. iris needs "
        "scikit-learn.",
    )
    parser.add_argument("name", choices=EXAMPLE_TABLES, help="which dataset")
    parser.add_argument("out", help="the CSV file (with --test or --new: its training rows)")
    parser.add_argument("--test", metavar="FILE",
                        help="also hold out rows into FILE, labels included (for evaluate)")
    parser.add_argument("--new", metavar="FILE",
                        help="also write the held-out rows without labels to FILE (for predict)")
    parser.add_argument("--test-size", type=number_type(float, "test size", 0.0, 1.0, True, True),
                        default=0.3, help="share of rows held out (default: 0.3)")
    parser.add_argument("--seed", type=seed_int, default=0,
                        help="seed of the data and the split (default: 0)")
    parser.set_defaults(handler=_run_datasets)


def _run_datasets(args):
    from ..example_tables import write_example_tables

    written = write_example_tables(args.name, args.out, test=args.test, new=args.new,
                                   test_size=args.test_size, seed=args.seed)
    for path, rows in written.items():
        print(f"saved {path} ({rows} rows)")
    return 0


# --------------------------------------------------------------------------- split


def _test_size(text):
    """``--test-size``: an integer is a count of rows (>= 1), anything else a fraction in (0, 1)."""
    try:
        count = int(text)
    except ValueError:
        pass
    else:
        if count < 1:
            raise argparse.ArgumentTypeError(f"a count of rows must be >= 1, got {text}")
        return count
    try:
        return number_type(float, "test size", 0.0, 1.0, True, True)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1) such as 0.2, or a whole number of rows such as 30, "
            f"got {text!r}") from None


_test_size.__name__ = "test size"


def add_split(subparsers):
    parser = subparsers.add_parser(
        "split",
        help="hold out a test set from a table: two files, every cell copied as it is",
        description="Split the rows of DATA at random into a training file and a test file, "
        "each keeping the rows in the order of DATA, every cell copied as written (007 stays "
        "007, NA stays NA). --test-size 0.2 holds out ceil(0.2 x rows) rows (rounded up, as "
        "scikit-learn's train_test_split); --test-size 30 holds out 30 rows. With --stratify, "
        "each class of that column is split in the same proportion (largest remainders, every "
        "class in both parts). Each output's format follows its extension: .csv, .tsv or "
        ".parquet.",
    )
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("--test-size", type=_test_size, required=True, metavar="SIZE",
                        help="the share of rows held out, in (0, 1), or their number (>= 1)")
    parser.add_argument("--out-train", required=True, metavar="FILE",
                        help="where to write the training rows (.csv, .tsv or .parquet)")
    parser.add_argument("--out-test", required=True, metavar="FILE",
                        help="where to write the held-out rows (.csv, .tsv or .parquet)")
    parser.add_argument("--stratify", metavar="COLUMN",
                        help="keep the class proportions of this column in both parts (refused "
                        "if a cell is missing or a class has one row)")
    parser.add_argument("--seed", type=seed_int, default=0,
                        help="seed of the random split (default: 0)")
    table_arguments(parser)
    parser.set_defaults(handler=_run_split)


def _run_split(args):
    from ..splitting import class_column, read_cells, split_indices, write_part
    from ..tables import check_output_format

    inputs = [(args.data, "DATA")]
    check_output(args.out_train, "--out-train", inputs)
    check_output(args.out_test, "--out-test", inputs + [(args.out_train, "--out-train")])
    outputs = [(args.out_train, check_output_format(args.out_train, "--out-train")),
               (args.out_test, check_output_format(args.out_test, "--out-test"))]
    options = table_options(args)
    frame = read_cells(args.data, options)  # a header naming a column twice is refused
    classes = None
    if args.stratify is not None:
        classes = class_column(frame, args.stratify, args.data, options, "--stratify")
    parts = split_indices(len(frame), args.test_size, args.seed, classes,
                          test_size_name="--test-size",
                          classes_name=f"column {args.stratify!r} (--stratify)")
    for (path, fmt), rows in zip(outputs, parts):
        try:
            written = write_part(frame.iloc[rows], path, fmt, header=options.header)
        except OSError as exc:
            raise ValueError(f"{path}: could not write it ({exc.strerror or exc})") from None
        print(f"saved {path} ({written} rows)")
    return 0
