//! A small argument parser: positionals, `--flag value`, `--flag=value`, repeatable flags,
//! switches. Unknown flags and missing values are usage errors.

use crate::Failure;

/// What a command accepts.
pub struct Spec {
    /// Flags that take a value.
    pub options: &'static [&'static str],
    /// Flags without a value.
    pub switches: &'static [&'static str],
}

/// The parsed arguments.
#[derive(Default, Debug)]
pub struct Args {
    pub positionals: Vec<String>,
    /// `(flag, value)` in order (repeatable).
    pub values: Vec<(String, String)>,
    pub switches: Vec<String>,
    pub help: bool,
}

impl Args {
    pub fn parse(argv: Vec<String>, spec: &Spec) -> Result<Args, Failure> {
        let mut args = Args::default();
        let mut it = argv.into_iter();
        let mut only_positionals = false;
        while let Some(arg) = it.next() {
            if only_positionals || !arg.starts_with("--") || arg == "-" {
                if arg == "-h" {
                    args.help = true;
                } else {
                    args.positionals.push(arg);
                }
                continue;
            }
            if arg == "--" {
                only_positionals = true;
                continue;
            }
            if arg == "--help" {
                args.help = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            if spec.switches.contains(&name.as_str()) {
                if inline.is_some() {
                    return Err(Failure::Usage(format!("{name} takes no value")));
                }
                args.switches.push(name);
            } else if spec.options.contains(&name.as_str()) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))?,
                };
                args.values.push((name, value));
            } else {
                return Err(Failure::Usage(format!("unknown option {name}")));
            }
        }
        Ok(args)
    }

    /// The last value of a flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable flag.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// A required flag.
    pub fn required(&self, name: &str) -> Result<&str, Failure> {
        self.value(name)
            .ok_or_else(|| Failure::Usage(format!("missing {name}")))
    }

    /// Exactly `n` positionals named `names`.
    pub fn expect_positionals(&self, names: &[&str]) -> Result<(), Failure> {
        if self.positionals.len() < names.len() {
            return Err(Failure::Usage(format!(
                "missing {}",
                names[self.positionals.len()..].join(" ")
            )));
        }
        if self.positionals.len() > names.len() {
            return Err(Failure::Usage(format!(
                "unexpected argument {:?}",
                self.positionals[names.len()]
            )));
        }
        Ok(())
    }
}
