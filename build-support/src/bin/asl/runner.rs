//! `asl test`, `asl test-state` and `asl run`: a definition given on the
//! command line runs the way it runs in a program, compiled by `asl!`. The
//! command writes a small program around the definition (`asl!` plus a `main`
//! that runs it, with a MockConfigFile or the real integrations, or runs one
//! state as TestState does), builds it with
//! cargo against this asl source tree, and runs it. The program is kept and
//! rebuilt only when the definition changes, so only the first run of a
//! definition waits for the build.
//! See [`asl_build::program`] for where programs are built.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use asl_build::program::{self, Program, lit};

/// Writes (when changed) and builds the program for `definition`; returns
/// the binary. `resources` are declared (served by mocks, or by nothing);
/// `features` are asl's integration families the program is built with, whose
/// handlers it registers, configured from the environment as the AWS SDK is
/// (none: nothing reaches AWS, and the build is small).
pub fn build(
    definition: &Path,
    resources: &[String],
    features: &[&str],
    substitutions: &[(String, String)],
) -> Result<PathBuf, String> {
    let definition = definition
        .canonicalize()
        .map_err(|e| format!("{}: {e}", definition.display()))?;
    let shown = definition.display().to_string();
    let mut parts: Vec<Vec<u8>> = vec![shown.as_bytes().to_vec()];
    parts.extend(resources.iter().map(|r| r.as_bytes().to_vec()));
    for (k, v) in substitutions {
        parts.push(k.as_bytes().to_vec());
        parts.push(v.as_bytes().to_vec());
    }
    // Programs with no features keep the key they had before features
    // existed, so the builds `asl test` cached stay valid.
    for f in features {
        parts.push(format!("feature:{f}").into_bytes());
    }
    let key = program::key(parts.iter().map(Vec::as_slice));
    // With integrations: their handlers (and what cleans up after them), from
    // the environment's AWS configuration; the region of the ARNs is the
    // environment's too.
    let integrations = if features.is_empty() {
        String::new()
    } else {
        format!(
            "{}{}",
            program::REGISTER_INTEGRATIONS,
            program::REGION_FROM_ENV
        )
    };
    let resources_list: Vec<String> = resources.iter().map(|r| lit(r)).collect();
    let subs: Vec<String> = substitutions
        .iter()
        .map(|(k, v)| format!("{} => {}", lit(k), lit(v)))
        .collect();
    let main = format!(
        r#"// Written by `asl test`: runs {definition} as asl! compiles it.
asl::asl!(
    Flow = {path},
    resources = [{resources}],
    substitutions = {{ {subs} }}
);

use asl::runtime::exec::{{ExecutionOptions, History, Runtime, TestStateRequest}};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {{
    let arg = std::env::args().nth(1).unwrap_or_default();
    let req: Value = serde_json::from_str(&arg).unwrap_or_default();
    let text = |k: &str| req[k].as_str().unwrap_or_default().to_string();
    let mut builder = Runtime::builder();
    if req["mode"] == "run" {{
        // Progress as it happens: the states entered (and exited, for
        // `asl run`).
        let exits = req["progress"] == "exits";
        builder = builder.history(History::custom(move |e| {{
            let state = e.state_name.as_deref().unwrap_or("");
            if e.event_type.is_state_entered() {{
                eprintln!("enter  {{state}}");
            }} else if exits && e.event_type.is_state_exited() {{
                eprintln!("exit   {{state}}");
            }}
        }}));
        if !req["mock_config"].is_null() {{
            builder = match builder.mock_config(text("mock_config"), &text("state_machine"), &text("test_case")) {{
                Ok(b) => b.mock_retry_delays(req["retry_delays"] != false),
                Err(e) => {{
                    eprintln!("asl: {{e}}");
                    return std::process::ExitCode::from(2);
                }}
            }};
        }}
    }}{integrations}
    let runtime = builder.build();
    if req["mode"] == "run" {{
        match Flow::run_with(&runtime, req["input"].clone(), ExecutionOptions::default()).await {{
            Ok(output) => {{
                println!("{{}}", serde_json::to_string_pretty(&output).unwrap_or_default());
                std::process::ExitCode::SUCCESS
            }}
            Err(e) => {{
                eprintln!("error: {{}}", e.error().unwrap_or(""));
                eprintln!("cause: {{}}", e.cause().unwrap_or(""));
                std::process::ExitCode::from(1)
            }}
        }}
    }} else {{
        let mut request = TestStateRequest::new(text("state"), req["input"].clone());
        if let Some(v) = req["variables"].as_object() {{
            request = request.variables(v.clone());
        }}
        if !req["mock_result"].is_null() {{
            request = request.mock_result(req["mock_result"].clone());
        }} else if !req["mock_error"].is_null() {{
            request = request.mock_error(text("mock_error"), text("mock_cause"));
        }}
        match Flow::test_state(&runtime, request).await {{
            Ok(response) => {{
                println!("{{}}", serde_json::to_string_pretty(&response.to_json()).unwrap_or_default());
                std::process::ExitCode::SUCCESS
            }}
            Err(e) => {{
                eprintln!("asl test-state: {{e}}");
                std::process::ExitCode::from(2)
            }}
        }}
    }}
}}
"#,
        definition = definition.display(),
        path = lit(&definition.display().to_string()),
        resources = resources_list.join(", "),
        subs = subs.join(", "),
        integrations = integrations,
    );
    program::build(&Program {
        key,
        features: features.iter().map(|f| f.to_string()).collect(),
        tokio_features: Vec::new(),
        main,
        what: shown,
    })
}

/// Runs the program with one request; returns its exit code.
pub fn run(binary: &Path, request: &Value) -> Result<i32, String> {
    let status = Command::new(binary)
        .arg(request.to_string())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    Ok(status.code().unwrap_or(1))
}
