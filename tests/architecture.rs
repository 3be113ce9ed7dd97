//! The code's shape, checked on every test run (ARCHITECTURE.md says it in words):
//! - the core is free of HTTP, SQL and every other module of the crate;
//! - infrastructure modules import only those below them, never a feature;
//! - `model.rs` holds pure rules: no axum, sqlx, web edge, app state or queries;
//! - a feature never imports another feature's pages, and the features' imports form no cycle;
//! - every route handler lives in a `pages.rs`/`*_pages.rs` file and is at most 60 lines;
//! - no test function is over 150 lines.
//!
//! It reads the source as text: `crate::x` paths (grouped `use crate::{..}` too) and
//! `super::`/`self::` within a top-level module, which stay inside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Infrastructure, lowest first: each may import only those before it.
const INFRASTRUCTURE: &[&[&str]] = &[
    &["core", "clock", "config", "clinic_time"],
    &["telemetry"],
    &["error"],
    &["database"],
    &["cache"],
    &["audit", "notify", "settings"],
    &["auth"],
    &["state"],
    &["web"],
];

/// Assembles everything: may import anything.
const TOP: &[&str] = &["app", "main", "lib"];

const HANDLER_MAX_LINES: usize = 60;
const TEST_MAX_LINES: usize = 150;

struct Source {
    /// Path under `src/` (or the repository root for tests).
    path: String,
    /// The top-level module it belongs to (`scheduling` for src/scheduling/db.rs).
    module: String,
    /// The code without comments.
    code: String,
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Drops `//` comments (doc comments included) so prose naming a module is not an import.
/// String literals stay; none of the checked patterns occur in the crate's strings.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sources(root: &Path) -> Vec<Source> {
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let relative = file
                .strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let module = relative
                .split('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".rs")
                .to_owned();
            let text = fs::read_to_string(&file).expect("readable source");
            Source {
                path: relative,
                module,
                code: without_comments(&text),
            }
        })
        .collect()
}

/// Every `crate::` path the code names, as its segments (`crate::scheduling::db::x` gives
/// `["scheduling", "db", "x"]`; `use crate::{a::b, c}` gives `["a", "b"]` and `["c"]`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `clinic_crate::`, not ours
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                paths.push(segments(item));
            }
        } else {
            paths.push(segments(rest));
        }
    }
    paths.retain(|p| !p.is_empty());
    paths
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// The path segments at the start of `text`, up to the first character that ends a path.
/// A group (`a::{b, c}`) yields its prefix and the group's first segments are not needed.
fn segments(text: &str) -> Vec<String> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// When a path ends in a group (`crate::scheduling::{db, staff_pages}`), the group's items.
fn grouped_items(code: &str, prefix: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                if let Some(first) = segments(item).into_iter().next() {
                    items.push(first);
                }
            }
        }
    }
    items
}

fn is_pages(name: &str) -> bool {
    name == "pages" || name.ends_with("_pages")
}

fn infrastructure_level(module: &str) -> Option<usize> {
    INFRASTRUCTURE
        .iter()
        .position(|level| level.contains(&module))
}

fn is_feature(module: &str) -> bool {
    infrastructure_level(module).is_none() && !TOP.contains(&module)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Which top-level modules each top-level module imports, with one file that does it.
fn module_imports(sources: &[Source]) -> BTreeMap<String, BTreeMap<String, String>> {
    let known: BTreeSet<&str> = sources.iter().map(|s| s.module.as_str()).collect();
    let mut imports: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in sources {
        for path in crate_paths(&source.code) {
            let target = &path[0];
            if target != &source.module && known.contains(target.as_str()) {
                imports
                    .entry(source.module.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_insert_with(|| source.path.clone());
            }
        }
    }
    imports
}

#[test]
fn the_core_names_no_http_no_sql_and_nothing_else_of_the_crate() {
    let mut problems = Vec::new();
    for source in sources(&root()).iter().filter(|s| s.module == "core") {
        for word in ["axum", "sqlx", "tower", "askama", "AppState"] {
            if source.code.contains(word) {
                problems.push(format!("src/{} names {word}", source.path));
            }
        }
        for path in crate_paths(&source.code) {
            if path[0] != "core" {
                problems.push(format!("src/{} imports crate::{}", source.path, path[0]));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn infrastructure_imports_only_what_lies_below_it() {
    let sources = sources(&root());
    let mut problems = Vec::new();
    for (module, targets) in module_imports(&sources) {
        let Some(level) = infrastructure_level(&module) else {
            continue;
        };
        for (target, file) in targets {
            match infrastructure_level(&target) {
                Some(below) if below < level => {}
                Some(_) => problems.push(format!(
                    "{module} imports {target}, which is not below it (src/{file})"
                )),
                None => problems.push(format!(
                    "{module} imports {target}, a feature or the top (src/{file})"
                )),
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn models_are_pure_rules() {
    let mut problems = Vec::new();
    for source in sources(&root()) {
        if !(source.path.ends_with("/model.rs") || source.path.contains("/model/")) {
            continue;
        }
        for word in ["axum", "sqlx", "AppState", "PgPool", "PgExecutor"] {
            if source.code.contains(word) {
                problems.push(format!("src/{} names {word}", source.path));
            }
        }
        for path in crate_paths(&source.code) {
            if ["web", "app", "state", "database"].contains(&path[0].as_str()) {
                problems.push(format!("src/{} imports crate::{}", source.path, path[0]));
            }
            if path.get(1).is_some_and(|s| s == "db" || is_pages(s)) {
                problems.push(format!(
                    "src/{} imports crate::{}",
                    source.path,
                    path.join("::")
                ));
            }
        }
        for local in ["super::db", "self::db", "super::pages"] {
            if source.code.contains(local) {
                problems.push(format!("src/{} imports {local}", source.path));
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_feature_imports_another_features_pages() {
    let mut problems = Vec::new();
    for source in sources(&root()) {
        if TOP.contains(&source.module.as_str()) {
            continue; // the route table is assembled at the top
        }
        for path in crate_paths(&source.code) {
            let other = &path[0];
            if other == &source.module || !is_feature(other) {
                continue;
            }
            let named = match path.get(1) {
                Some(second) => vec![second.clone()],
                None => Vec::new(),
            };
            let grouped = grouped_items(&source.code, &format!("crate::{other}::"));
            if named.iter().chain(grouped.iter()).any(|s| is_pages(s)) {
                problems.push(format!(
                    "src/{} imports {other}'s pages ({})",
                    source.path,
                    path.join("::")
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_features_import_each_other_without_a_cycle() {
    let sources = sources(&root());
    let imports = module_imports(&sources);
    let features: BTreeMap<&str, Vec<&str>> = imports
        .iter()
        .filter(|(module, _)| is_feature(module))
        .map(|(module, targets)| {
            let targets = targets
                .keys()
                .map(String::as_str)
                .filter(|t| is_feature(t))
                .collect();
            (module.as_str(), targets)
        })
        .collect();
    // Depth-first search for a path back to where it started.
    fn cycle_from<'a>(
        at: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(start) = path.iter().position(|m| *m == at) {
            let mut cycle = path[start..].to_vec();
            cycle.push(at);
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(cycle) = cycle_from(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at);
        None
    }
    let mut done = BTreeSet::new();
    for feature in features.keys() {
        if let Some(cycle) = cycle_from(feature, &features, &mut Vec::new(), &mut done) {
            let files: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    format!(
                        "{} -> {} (src/{})",
                        pair[0], pair[1], imports[pair[0]][pair[1]]
                    )
                })
                .collect();
            panic!(
                "the features import each other in a cycle:\n{}",
                files.join("\n")
            );
        }
    }
}

/// The handlers the route tables name: (file, function) as `module::function` resolves from
/// the file holding the table.
fn handlers(sources: &[Source]) -> Vec<(String, String)> {
    let mut found = BTreeSet::new();
    for source in sources {
        let mut rest = source.code.as_str();
        while let Some(at) = rest.find("Route::new(") {
            rest = &rest[at + "Route::new(".len()..];
            // One route: up to the next route or the end of the table.
            let end = [rest.find("Route::new("), rest.find(']')]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(rest.len());
            let route = &rest[..end];
            for method in [".get(", ".post("] {
                let mut calls = route;
                while let Some(at) = calls.find(method) {
                    calls = &calls[at + method.len()..];
                    let path = segments(calls);
                    let dir = Path::new(&source.path).parent().unwrap_or(Path::new(""));
                    let (file, function) = match path.as_slice() {
                        [function] => (source.path.clone(), function.clone()),
                        [.., module, function] => {
                            let file = dir.join(format!("{module}.rs"));
                            (file.to_string_lossy().into_owned(), function.clone())
                        }
                        [] => continue,
                    };
                    found.insert((file, function));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// The length in lines of `fn name` in `code`, from its `fn` line to its closing brace.
fn function_lines(code: &str, name: &str) -> Option<usize> {
    let lines: Vec<&str> = code.lines().collect();
    let start = lines.iter().position(|line| {
        let line = line.trim_start();
        [
            "pub async fn ",
            "async fn ",
            "pub fn ",
            "fn ",
            "pub(crate) async fn ",
            "pub(crate) fn ",
        ]
        .iter()
        .any(|prefix| {
            line.strip_prefix(prefix).is_some_and(|rest| {
                rest.starts_with(name)
                    && !rest[name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        })
    })?;
    let indent = lines[start].len() - lines[start].trim_start().len();
    let closing = format!("{}}}", " ".repeat(indent));
    let end = lines[start..]
        .iter()
        .position(|line| line.trim_end() == closing)?;
    Some(end + 1)
}

#[test]
fn handlers_live_in_pages_files_and_stay_short() {
    let sources = sources(&root());
    let by_path: BTreeMap<&str, &Source> = sources.iter().map(|s| (s.path.as_str(), s)).collect();
    let mut problems = Vec::new();
    let handlers = handlers(&sources);
    assert!(
        handlers.len() > 50,
        "the route tables were not read: {handlers:?}"
    );
    for (file, function) in handlers {
        // The operations' own probes and the static assets sit beside their route table.
        if file == "app.rs" || file.starts_with("web/") {
            continue;
        }
        let name = Path::new(&file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if !is_pages(name) {
            problems.push(format!(
                "{function} is a handler in src/{file}, not in a *pages.rs file"
            ));
        }
        match by_path
            .get(file.as_str())
            .and_then(|s| function_lines(&s.code, &function))
        {
            Some(lines) if lines > HANDLER_MAX_LINES => problems.push(format!(
                "{function} in src/{file} is {lines} lines (at most {HANDLER_MAX_LINES})"
            )),
            Some(_) => {}
            None => problems.push(format!("{function}: not found in src/{file}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_test_is_over_150_lines() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let code = fs::read_to_string(&file).expect("readable source");
        let lines: Vec<&str> = code.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            if !line.trim_start().starts_with("#[test]")
                && !line.trim_start().starts_with("#[tokio::test")
            {
                continue;
            }
            let Some(offset) = lines[at..].iter().position(|l| l.contains("fn ")) else {
                continue;
            };
            let signature = lines[at + offset];
            let name = signature
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split(['(', '<']).next())
                .unwrap_or_default();
            if let Some(length) = function_lines(&lines[at + offset..].join("\n"), name)
                && length > TEST_MAX_LINES
            {
                problems.push(format!("{} {name}: {length} lines", file.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tests over {TEST_MAX_LINES} lines:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reader_sees_imports_as_written() {
    let code = "use crate::{scheduling::db, consent::model::{A, B}, web};\nlet x = crate::alerts::db::open(1);";
    let paths = crate_paths(code);
    assert_eq!(
        paths,
        vec![
            vec!["scheduling".to_owned(), "db".to_owned()],
            vec!["consent".to_owned(), "model".to_owned()],
            vec!["web".to_owned()],
            vec!["alerts".to_owned(), "db".to_owned(), "open".to_owned()],
        ]
    );
    assert_eq!(
        grouped_items("use crate::treatment::{pages, db};", "crate::treatment::"),
        ["pages", "db"]
    );
    assert_eq!(
        function_lines("fn a() {\n    x\n}\nfn ab() {\n}\n", "a"),
        Some(3)
    );
}
