//! `hello`: the smallest use of `asl!` in a program.
//!
//! `examples/hello.asl.json` (a Choice, a Pass with `States.Format`, a Fail) becomes
//! the type `Hello` while this file compiles; `Hello::run` executes it. No AWS
//! integration is used, so the runtime needs no configuration.
//!
//! ```text
//! $ hello '{"name": "world"}'
//! {"name":"world","greeting":"Hello, world!","gesture":"wave"}
//! $ hello '{}'
//! hello: Hello.NoName: The input has no `name` field.      (exit status 1)
//! ```

use std::process::ExitCode;

use asl::Runtime;
use asl::asl;

asl!(Hello = "hello.asl.json");

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| r#"{"name": "world"}"#.to_string());
    let input: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("hello: the input is not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = Runtime::new();
    match Hello::run(&runtime, input).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "hello: {}: {}",
                e.error().unwrap_or("(no error)"),
                e.cause().unwrap_or("(no cause)")
            );
            ExitCode::FAILURE
        }
    }
}
