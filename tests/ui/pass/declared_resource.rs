// A Resource declared with `resources = [...]` compiles; the program registers
// its handler on the Runtime. Built-in integrations need no declaration.
asl::asl!(pub Flow = "flow.asl.json", resources = ["arn:aws:lambda:us-east-1:123456789012:function:resize"]);

fn main() {
    let runtime = asl::runtime::exec::Runtime::new();
    let _future = Flow::run(&runtime, asl::serde_json::json!({"name": "cat.png"}));
}
