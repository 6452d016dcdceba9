//! What the benchmark binaries share: the sections of `BENCHMARKS.md` each writes.

/// The heading of the sandbox's section (written by `cargo xtask bench sandbox`).
pub const SANDBOX_SECTION: &str = "## The sandbox";

/// The heading of the bills' section (written by `cargo xtask bench bill`).
pub const BILLS_SECTION: &str = "## Bills";

/// Writes `section` (which starts with `heading`) into the Markdown file `path` in place of
/// its section of that heading (up to the next `## ` heading), or at the end. Benchmarks
/// report; a file that cannot be written is said, not a failure.
pub fn write_section(path: &str, heading: &str, section: &str) {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let section = format!("{}\n", section.trim_end());
    let new = match old.find(&format!("\n{heading}\n")) {
        Some(at) => {
            let start = at + 1;
            let end = old[start + heading.len()..]
                .find("\n## ")
                .map_or(old.len(), |i| start + heading.len() + i + 1);
            format!("{}{section}{}", &old[..start], separated(&old[end..]))
        }
        None => format!("{}\n\n{section}", old.trim_end()),
    };
    if let Err(e) = std::fs::write(path, new) {
        eprintln!("{path}: {e}");
    }
}

/// `rest` (the sections after one), after a blank line when there is any.
fn separated(rest: &str) -> String {
    if rest.is_empty() {
        String::new()
    } else {
        format!("\n{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_in_place_or_added() {
        let dir = std::env::temp_dir().join(format!("bench-sections-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        let path = path.to_str().unwrap();
        std::fs::write(
            path,
            "# Benchmarks\n\nclient\n\n## The sandbox\n\nold\n\n## Other\n\nkept\n",
        )
        .unwrap();
        write_section(path, "## The sandbox", "## The sandbox\n\nnew\n");
        write_section(path, "## Bills", "## Bills\n\nrows\n");
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "# Benchmarks\n\nclient\n\n## The sandbox\n\nnew\n\n## Other\n\nkept\n\n## Bills\n\nrows\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
