//! The scenario × dialect summary a test run prints (and docs/conformance.md embeds).

use std::collections::BTreeMap;

use crate::neutral::Dialect;

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Pass,
    Fail,
    NotOffered,
    /// The server under test does not serve this dialect (yet).
    Unavailable,
    /// Filtered out of this run.
    NotRun,
}

impl Cell {
    fn text(&self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "FAIL",
            Cell::NotOffered => "not offered",
            Cell::Unavailable => "unavailable",
            Cell::NotRun => "-",
        }
    }
}

/// Rows (scenario ids, in order) × the three dialects, as a Markdown table.
pub fn markdown(title: &str, rows: &[&str], cells: &BTreeMap<(String, Dialect), Cell>) -> String {
    let mut out = format!("| {title} | aws | tencent | huawei |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&format!("| {row} |"));
        for d in Dialect::ALL {
            let cell = cells.get(&((*row).to_owned(), d)).unwrap_or(&Cell::NotRun);
            out.push_str(&format!(" {} |", cell.text()));
        }
        out.push('\n');
    }
    out
}
