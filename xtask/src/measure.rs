//! `cargo xtask measure`: the architecture's measures (ARCHITECTURE.md).
//!
//! 1. Hand-written Rust of the four bindings against the core: code lines
//!    (not blank, not only a comment) of `*.rs` under each binding's `src/`
//!    and `core/src/`, generated files (`@generated` in the first two
//!    lines) and unit-test modules left out.
//! 2. Blocks of six or more lines shared between a binding and the core or
//!    between two bindings (same lines after trimming, generated files left
//!    out).
//! 3. The glossary (`docs/glossary.md`): every concept has one name, its
//!    spellings differing only in casing.
//! 4. The error-code list exists once: no hand-written file outside the
//!    catalogue names more than three of the codes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use wxface_core::error::codes;

/// The areas compared, with their source roots.
const BINDINGS: &[(&str, &[&str])] = &[
    (
        "bindings-py",
        &["bindings-py/src", "bindings-py/sandbox/src"],
    ),
    ("bindings-node", &["bindings-node/src"]),
    (
        "bindings-kotlin",
        &["bindings-kotlin/src", "bindings-kotlin/uniffi-bindgen/src"],
    ),
    ("wasm", &["wasm/src"]),
];

const WINDOW: usize = 6;

fn files(root: &Path, dir: &str, exts: &[&str], out: &mut Vec<PathBuf>) {
    if root.join(dir).is_file() {
        out.push(root.join(dir));
        return;
    }
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            if [
                "node_modules",
                "target",
                "build",
                "pkg",
                ".gradle",
                "generated",
            ]
            .contains(&name)
                || name.starts_with('.')
            {
                continue;
            }
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            files(root, &rel, exts, out);
        } else if exts.iter().any(|e| name.ends_with(e)) {
            out.push(p);
        }
    }
}

fn generated(text: &str) -> bool {
    text.lines().take(2).any(|l| l.contains("@generated"))
}

/// Tests and vector generators name codes to assert them; they are not lists
/// the code works from. The web kiosk's `wxface/` is a copy of the built
/// WASM package.
fn test_or_copy(rel: &str) -> bool {
    rel.contains("/tests/")
        || rel.contains("/test/")
        || rel.starts_with("tests/")
        || rel.ends_with("tests.rs")
        || rel.ends_with("Test.kt")
        || rel.starts_with("examples/kiosk-web/wxface/")
}

/// Code lines: not blank, not only a comment.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("//") && !l.starts_with("/*") && !l.starts_with('*')
        })
        .collect()
}

fn read_area(root: &Path, dirs: &[&str], exts: &[&str]) -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    for d in dirs {
        files(root, d, exts, &mut paths);
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            // Unit tests are not the code they test: left out on both sides.
            (!generated(&text)).then(|| (p, without_unit_tests(&text).to_owned()))
        })
        .collect()
}

pub fn run(root: &Path) -> bool {
    let mut ok = true;

    // 1. Size.
    let core = read_area(root, &["core/src"], &[".rs"]);
    let core_lines: usize = core.iter().map(|(_, t)| code_lines(t).len()).sum();
    let mut binding_lines = 0;
    println!("1. hand-written Rust (code lines, generated files left out)");
    println!("   core/src: {core_lines}");
    let mut areas: Vec<(&str, Vec<(PathBuf, String)>)> = vec![("core", core)];
    for (name, dirs) in BINDINGS {
        let area = read_area(root, dirs, &[".rs"]);
        let n: usize = area.iter().map(|(_, t)| code_lines(t).len()).sum();
        println!("   {name}: {n}");
        binding_lines += n;
        areas.push((name, area));
    }
    let ratio = binding_lines as f64 / core_lines.max(1) as f64;
    println!("   bindings together: {binding_lines} = {ratio:.2}x the core (at most 1.0x)");
    ok &= ratio <= 1.0;

    // 2. Shared blocks.
    let mut seen: HashMap<Vec<&str>, (usize, String)> = HashMap::new();
    let mut shared: BTreeSet<String> = BTreeSet::new();
    for (a, (_, area)) in areas.iter().enumerate() {
        for (path, text) in area {
            let lines = code_lines(text);
            let rel = path
                .strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string();
            let mut local: BTreeSet<Vec<&str>> = BTreeSet::new();
            for w in lines.windows(WINDOW) {
                // Lines of punctuation only (`}`, `});`) make no block.
                if w.iter().filter(|l| l.len() > 3).count() < WINDOW - 1 {
                    continue;
                }
                local.insert(w.to_vec());
            }
            for w in local {
                match seen.get(&w) {
                    Some((other, where_)) if *other != a => {
                        shared.insert(format!("{where_} ~ {rel}: {}", w[0]));
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(w, (a, rel.clone()));
                    }
                }
            }
        }
    }
    println!(
        "2. blocks of {WINDOW}+ identical code lines shared across core and the bindings: {}",
        shared.len()
    );
    for s in &shared {
        println!("   {s}");
    }
    ok &= shared.is_empty();

    // 3. Glossary.
    let glossary = std::fs::read_to_string(root.join("docs/glossary.md")).unwrap_or_default();
    let mut rows = 0;
    let mut two_names = Vec::new();
    let mut missing = Vec::new();
    let sources: HashMap<&str, BTreeSet<String>> = LANGUAGES
        .iter()
        .map(|(lang, dirs, exts)| {
            let text = dirs
                .iter()
                .flat_map(|d| {
                    let mut v = Vec::new();
                    files(root, d, exts, &mut v);
                    v
                })
                .filter(|p| !test_or_copy(&p.strip_prefix(root).unwrap_or(p).display().to_string()))
                .filter_map(|p| std::fs::read_to_string(p).ok())
                // Code only: a name in a comment is not an API.
                .flat_map(|t| {
                    code_lines(&t)
                        .iter()
                        .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect::<BTreeSet<String>>();
            (*lang, text)
        })
        .collect();
    for line in glossary
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| concept"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 3
            || cells
                .iter()
                .all(|c| c.chars().all(|x| x == '-' || x == ' '))
        {
            continue;
        }
        rows += 1;
        let names: BTreeSet<String> = cells[1..]
            .iter()
            .filter(|c| !c.is_empty() && **c != "—")
            .map(|c| normalise(c))
            .collect();
        if names.len() > 1 {
            two_names.push(format!("{}: {:?}", cells[0], names));
        }
        // Each name must be in its language's sources (napi and UniFFI
        // camelCase Rust names, so their snake_case spelling counts too).
        for (lang, cell) in LANGUAGES.iter().zip(&cells[1..]) {
            let name = cell.trim_matches('`');
            if name.is_empty() || name == "—" {
                continue;
            }
            let leaf = name.rsplit("::").next().unwrap_or(name);
            let found = sources.get(lang.0).is_some_and(|words| {
                // Members (lower-case) may be written snake_case in Rust.
                words.contains(leaf)
                    || (leaf.starts_with(char::is_lowercase) && words.contains(&snake(leaf)))
            });
            if !found {
                missing.push(format!("{} ({}): `{name}`", cells[0], lang.0));
            }
        }
    }
    println!(
        "   names not found in their language's sources: {}",
        missing.len()
    );
    for m in &missing {
        println!("   {m}");
    }
    ok &= missing.is_empty();
    println!(
        "3. glossary: {rows} concepts, {} with more than one name",
        two_names.len()
    );
    for t in &two_names {
        println!("   {t}");
    }
    ok &= rows > 0 && two_names.is_empty();

    // 4. The code list.
    let all: Vec<&str> = codes().collect();
    let mut lists: BTreeMap<String, usize> = BTreeMap::new();
    let mut every = Vec::new();
    for dir in [
        "core",
        "client",
        "capture",
        "sandbox",
        "sdk-emu",
        "cli",
        "bindings-py",
        "bindings-node",
        "bindings-kotlin",
        "wasm",
        "examples",
        "tests",
    ] {
        files(
            root,
            dir,
            &[".rs", ".py", ".js", ".mjs", ".ts", ".kt"],
            &mut every,
        );
    }
    for p in every {
        let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if generated(&text) || test_or_copy(&rel) {
            continue;
        }
        // A Rust file's unit tests assert codes; they are not a list.
        let text = without_unit_tests(&text);
        let n = all
            .iter()
            .filter(|c| text.contains(&format!("\"{c}\"")) || text.contains(&format!("'{c}'")))
            .count();
        if n > 3 {
            lists.insert(rel, n);
        }
    }
    println!(
        "4. hand-written non-test files naming more than 3 of the {} codes: {} (core/src/error.rs is the list)",
        all.len(),
        lists.len()
    );
    for (p, n) in &lists {
        println!("   {p}: {n}");
    }
    // The one list: the names of the kinds and signature failures, which
    // the catalogue's rows take their codes from.
    ok &= lists.keys().all(|p| p == "core/src/error.rs");
    ok
}

/// A Rust file without its `#[cfg(test)] mod tests` (attributes between
/// the two allowed).
fn without_unit_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let rest = text[at..]
            .lines()
            .skip(1)
            .find(|l| !l.trim_start().starts_with("#["));
        if rest.is_some_and(|l| l.trim_start().starts_with("mod tests")) {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

/// The glossary's languages, in column order, and where their public names
/// are written.
const LANGUAGES: &[(&str, &[&str], &[&str])] = &[
    (
        "Rust",
        &["core/src", "client/src", "capture/src", "sandbox/src"],
        &[".rs"],
    ),
    // The public surfaces: the type stubs and the package's Python.
    (
        "Python",
        &[
            "bindings-py/python/wxface",
            "bindings-py/sandbox/python/wxface_sandbox",
        ],
        &[".py", ".pyi"],
    ),
    // The TypeScript declarations of the Node package and of the WASM
    // package (whose declarations live in its crate's custom section).
    (
        "JavaScript",
        &[
            "bindings-node/index.d.ts",
            "bindings-node/native.d.ts",
            "bindings-node/lib",
            "wasm/js",
            "wasm/src/lib.rs",
        ],
        &[".d.ts", ".rs"],
    ),
    // UniFFI names Kotlin after the Rust items (camelCasing members).
    (
        "Kotlin",
        &["bindings-kotlin/src", "bindings-kotlin/kotlin/main"],
        &[".rs", ".kt"],
    ),
];

/// `exposeName` → `expose_name`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() && i > 0 && !name[..i].ends_with(|p: char| p.is_uppercase()) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A name without its casing and decoration: `wechat_code`, `wechatCode`,
/// `.wechat_code`, `wechatCode()` are one.
fn normalise(cell: &str) -> String {
    cell.trim_matches('`')
        .trim_start_matches('.')
        .trim_end_matches("()")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
