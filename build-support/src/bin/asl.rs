//! The `asl` command-line tool.
//!
//! `asl check FILE... [--format json]` (`-` reads standard input): loads and checks each definition and
//! prints every diagnostic (rustc-style text, or one JSON document). Exit status:
//! 0 when every file is valid, 1 when any is invalid, 2 on a usage or I/O error.
//! `asl rules` lists every rule with what it checks.

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: asl check FILE... [--format text|json]\n       asl rules";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("asl: {message}");
            ExitCode::from(2)
        }
    }
}

#[derive(PartialEq)]
enum Format {
    Text,
    Json,
}

/// Parses the arguments and checks the files; `Ok(all_valid)` or a usage/I/O error.
fn run(args: &[String]) -> Result<bool, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    if command == "--help" || command == "-h" || command == "help" {
        println!("{USAGE}");
        return Ok(true);
    }
    if command == "rules" {
        for (rule, what) in asl_build::check::RULES {
            println!("{rule:<36} {what}");
        }
        return Ok(true);
    }
    if command != "check" {
        return Err(format!("unknown command `{command}`\n{USAGE}"));
    }
    let mut format = Format::Text;
    let mut files = Vec::new();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--format" {
            Some(
                it.next()
                    .ok_or_else(|| format!("--format needs a value\n{USAGE}"))?
                    .as_str(),
            )
        } else {
            arg.strip_prefix("--format=")
        };
        match value {
            Some("json") => format = Format::Json,
            Some("text") => format = Format::Text,
            Some(other) => return Err(format!("unknown format `{other}` (text or json)")),
            None if arg.starts_with('-') && arg != "-" => {
                return Err(format!("unknown option `{arg}`\n{USAGE}"));
            }
            None => files.push(arg.clone()),
        }
    }
    if files.is_empty() {
        return Err(format!("no files to check\n{USAGE}"));
    }
    // Read every file first: an unreadable file is a usage/I/O error (exit 2).
    let mut sources = Vec::new();
    for file in &files {
        let bytes = if *file == "-" {
            // `-` is standard input, for editors that check an unsaved buffer.
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            buf
        } else {
            std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?
        };
        sources.push((file, bytes));
    }
    let mut all_valid = true;
    let mut json_out = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (file, bytes) in &sources {
        let result = asl_build::load(bytes, file);
        match (&result, &format) {
            (Ok(_), Format::Text) => {
                let _ = writeln!(stdout, "{file}: ok");
            }
            (Err(diags), Format::Text) => {
                all_valid = false;
                let _ = writeln!(stdout, "{diags}\n");
            }
            (Ok(_), Format::Json) => {
                json_out.push(serde_json::json!({"file": file, "valid": true, "diagnostics": []}))
            }
            (Err(diags), Format::Json) => {
                all_valid = false;
                json_out.push(serde_json::json!({"file": file, "valid": false, "diagnostics": diags.to_json()}));
            }
        }
    }
    if format == Format::Json {
        let doc = serde_json::json!({"valid": all_valid, "files": json_out});
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
    Ok(all_valid)
}
