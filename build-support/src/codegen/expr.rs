//! Expressions as Rust: paths as `static` compiled paths, payload templates as
//! direct object construction in template order, intrinsic calls as direct calls
//! of the runtime's functions, Choice rules as Rust conditions.
//!
//! Every function here returns an expression of the generated code; expressions
//! that can fail use `?` and so live inside a block returning
//! `Result<Value, Error>`.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::expr::{Arg, Call, Expression, Function, JsonPath, Path, ReferencePath, Root, Segment};
use crate::model::{
    Comparison, Condition, ConditionKind, Operand, Operator, Origin, Template, TemplateNode,
};

use super::Gen;

/// What `$` and `$$` mean where an expression is evaluated.
#[derive(Clone)]
pub struct Env {
    /// An expression of type `&Value`: the effective input (or the task result,
    /// in a `ResultSelector`).
    pub input: TokenStream,
}

impl Gen<'_> {
    /// A reference path compiled into a `static` of the expansion, named
    /// after it (`$.eks.Cluster.Endpoint` → `PATH_EKS_CLUSTER_ENDPOINT`,
    /// `$$.Execution.Id` → `CONTEXT_EXECUTION_ID`, `$x.a` → `VAR_X_A`): one
    /// per distinct path of the workflow, however often it is used.
    pub(super) fn static_path(&mut self, path: &ReferencePath) -> TokenStream {
        let value = self.path_value_tokens(path);
        let (prefix, mut hint) = match &path.root {
            Root::Input => ("PATH", String::new()),
            Root::Context => ("CONTEXT", String::new()),
            Root::Variable(name) => ("VAR", name.clone()),
        };
        for segment in &path.segments {
            hint.push(' ');
            match segment {
                Segment::Field(name) => hint.push_str(name),
                Segment::Index(i) => hint.push_str(&i.to_string()),
            }
        }
        if hint.trim().is_empty() {
            hint = "root".into();
        }
        let name = self.hoist(prefix, &hint, quote!(ReferencePath), value);
        quote!(#name)
    }

    /// A reference path as a constant expression, in one line:
    /// `path!(input, "$.a[0]", "a", [0])`.
    pub(super) fn path_value_tokens(&self, path: &ReferencePath) -> TokenStream {
        let segments = path.segments.iter().map(|s| match s {
            Segment::Field(name) => quote!(, #name),
            Segment::Index(i) => {
                let i = proc_macro2::Literal::usize_unsuffixed(*i);
                quote!(, [#i])
            }
        });
        let text = &path.text;
        let root = match &path.root {
            Root::Input => quote!(input),
            Root::Context => quote!(context),
            Root::Variable(name) => quote!(variable(#name)),
        };
        quote!(path!(#root, #text #(#segments)*))
    }

    /// A full JSONPath compiled once per workflow (`$.logs..pi` →
    /// `QUERY_LOGS_PI`).
    pub(super) fn static_query(&mut self, query: &JsonPath) -> TokenStream {
        let (text, normalised) = (&query.text, &query.query);
        let name = self.hoist(
            "QUERY",
            text,
            quote!(JsonPathQuery),
            quote!(JsonPathQuery::with_query(#text, #normalised)),
        );
        quote!(#name)
    }

    /// A `ResultPath` writes into the state output, never into a variable.
    pub(super) fn check_root(&mut self, root: &Root, text: &str, origin: &Origin) -> bool {
        if let Root::Variable(_) = root {
            self.unsupported(
                origin,
                format!("`{text}`: a ResultPath cannot write into a variable"),
            );
            return false;
        }
        true
    }

    /// Variables are read through reference paths only (`$name.a[0]`); a full
    /// JSONPath query over a variable is not supported yet.
    pub(super) fn check_root_query(&mut self, path: &Path, origin: &Origin) -> bool {
        if let (Path::Query(_), Root::Variable(_)) = (path, path.root()) {
            self.unsupported(
                origin,
                format!(
                    "the JSONPath query `{}` over a variable is not supported yet",
                    path.text()
                ),
            );
            return false;
        }
        true
    }

    /// `$name...`: the variable's name.
    fn variable_name(root: &Root) -> Option<&str> {
        match root {
            Root::Variable(name) => Some(name),
            _ => None,
        }
    }

    /// The context object for this state, as a `Context` expression.
    pub(super) fn context(&mut self) -> TokenStream {
        self.reads_context = true;
        self.execution_input = true;
        quote!(__ctx)
    }

    /// [`Self::context`] for a reference path into `$$`: notes whether it can
    /// reach `$$.Execution.Input`, the one part that needs a copy of the input.
    pub(super) fn context_at(&mut self, path: &ReferencePath) -> TokenStream {
        let reaches_input = match path.segments.as_slice() {
            [] => true,
            [Segment::Field(first)] => first == "Execution",
            [Segment::Field(first), Segment::Field(second), ..] => {
                first == "Execution" && second == "Input"
            }
            _ => false,
        };
        self.reads_context = true;
        self.execution_input |= reaches_input;
        quote!(__ctx)
    }

    /// A selection for `InputPath`/`OutputPath`/`ItemsPath`: an owned `Value`
    /// expression; `source` is a `&Value` expression.
    pub(super) fn select(
        &mut self,
        path: &Path,
        source: TokenStream,
        origin: &Origin,
    ) -> TokenStream {
        let rt = self.rt.clone();
        if !self.check_root_query(path, origin) {
            return quote!(#rt::Value::Null);
        }
        if let Some(borrowed) = self.select_ref(path, source.clone()) {
            return quote!(#rt::Value::clone(#borrowed));
        }
        match path {
            Path::Reference(p) => {
                let sp = self.static_path(p);
                if let Some(name) = Self::variable_name(&p.root) {
                    quote!(__vars.select(#name, &#sp)?)
                } else {
                    let ctx = self.context_at(p);
                    quote!(#ctx.get(&#sp).map(#rt::Cow::into_owned).ok_or_else(|| #sp.no_results_error())?)
                }
            }
            Path::Query(q) => {
                let sq = self.static_query(q);
                let root = if q.root == Root::Context {
                    let ctx = self.context();
                    quote!(&#ctx.to_value())
                } else {
                    source
                };
                quote!(#rt::select_query(&#sq, #root)?)
            }
        }
    }

    /// [`Self::select`] without a copy, for a reference path into the state's
    /// input: a `&Value` expression borrowing from `source`. `None` for paths
    /// that read elsewhere (variables, `$$`, full JSONPath).
    pub(super) fn select_ref(&mut self, path: &Path, source: TokenStream) -> Option<TokenStream> {
        match path {
            Path::Reference(p) if p.root == Root::Input && p.segments.is_empty() => Some(source),
            Path::Reference(p) if p.root == Root::Input => {
                let sp = self.static_path(p);
                Some(quote!(#sp.select(#source)?))
            }
            _ => None,
        }
    }

    /// A path read that may find nothing: an `Option<Value>` expression.
    pub(super) fn read_optional(
        &mut self,
        path: &Path,
        source: TokenStream,
        origin: &Origin,
    ) -> TokenStream {
        let rt = self.rt.clone();
        if !self.check_root_query(path, origin) {
            return quote!(#rt::None::<#rt::Value>);
        }
        if let Path::Reference(p) = path
            && let Some(name) = Self::variable_name(&p.root)
        {
            let sp = self.static_path(p);
            return quote!(__vars.get(#name, &#sp));
        }
        match path {
            Path::Reference(p) if p.root == Root::Context => {
                let sp = self.static_path(p);
                let ctx = self.context_at(p);
                quote!(#ctx.get(&#sp).map(#rt::Cow::into_owned))
            }
            Path::Reference(p) => {
                let sp = self.static_path(p);
                quote!(#rt::get(&#sp, #source).cloned())
            }
            Path::Query(q) => {
                let sq = self.static_query(q);
                let root = if q.root == Root::Context {
                    let ctx = self.context();
                    quote!(&#ctx.to_value())
                } else {
                    source
                };
                quote!(#sq.find(#root))
            }
        }
    }

    /// A literal JSON value; `hint` names it if it becomes a static (see
    /// [`Gen::hoist`]).
    pub(super) fn literal(&mut self, value: &Value, hint: &str) -> TokenStream {
        let rt = self.rt.clone();
        match value {
            Value::Null => quote!(#rt::Value::Null),
            Value::Bool(b) => quote!(#rt::Value::Bool(#b)),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    quote!(#rt::Value::from(#i))
                } else if let Some(u) = n.as_u64() {
                    quote!(#rt::Value::from(#u))
                } else {
                    let f = n.as_f64().unwrap_or(0.0);
                    quote!(#rt::Value::from(#f))
                }
            }
            Value::String(s) => quote!(#rt::Value::from(#s)),
            Value::Array(items) if items.is_empty() => quote!(#rt::Value::Array(#rt::Vec::new())),
            Value::Object(map) if map.is_empty() => quote!(#rt::Value::Object(#rt::Map::new())),
            // Larger literals are parsed once and cloned: smaller code than
            // building them field by field.
            other => {
                let text = raw_string(&other.to_string());
                // The state's first words, then what the literal is.
                let name = format!("{} {hint}", super::names::first_words(&self.state_name, 5));
                let name = self.hoist("", &name, quote!(Literal), quote!(json_literal!(#text)));
                quote!(#name.clone())
            }
        }
    }

    /// [`Gen::template`] for a state's whole template: `what` it is
    /// (`PARAMETERS`, `RESULT_SELECTOR`, ...) names its literal.
    pub(super) fn top_template(
        &mut self,
        template: &Template,
        env: &Env,
        what: &'static str,
    ) -> TokenStream {
        self.template_what = what;
        let tokens = self.template(template, env, "");
        self.template_what = "TEMPLATE";
        tokens
    }

    /// A payload template as direct construction; `field` names the nearest key
    /// for error causes.
    pub(super) fn template(&mut self, template: &Template, env: &Env, field: &str) -> TokenStream {
        let rt = self.rt.clone();
        // A subtree without any `.$` value is one literal: parsed once, cloned
        // per use, instead of code that builds it member by member.
        if matches!(
            template.node,
            TemplateNode::Object(_) | TemplateNode::Array(_)
        ) && let Some(value) = literal_value(template)
        {
            let hint = if field.is_empty() {
                self.template_what
            } else {
                field
            };
            return self.literal(&value, hint);
        }
        match &template.node {
            TemplateNode::Object(fields) => {
                // A state's result object (the top of its template) gets a
                // spare slot for the next state's `ResultPath` (see
                // `result_object`); deeper objects get exact sizes.
                // A state's result object (the top of its template) is often
                // extended by one member later: the next state's `ResultPath`
                // (`"$.size"`) writes into it. One spare slot saves that write a
                // reallocation of the object; deeper objects get exact sizes.
                // (Members are inserted one by one: building them in an array
                // first measured 15% slower on the counter benchmark.)
                let n = if field.is_empty() {
                    fields.len() + 1
                } else {
                    fields.len()
                };
                let inserts: Vec<TokenStream> = fields
                    .iter()
                    .map(|f| {
                        let key = &f.name.value;
                        let value = self.template(&f.value, env, key);
                        quote!(__m.insert(#key.into(), #value);)
                    })
                    .collect();
                quote!({
                    let mut __m = #rt::Map::with_capacity(#n);
                    #(#inserts)*
                    #rt::Value::Object(__m)
                })
            }
            TemplateNode::Array(items) => {
                let items: Vec<TokenStream> =
                    items.iter().map(|t| self.template(t, env, field)).collect();
                quote!(#rt::Value::Array(#rt::Vec::from([#(#items),*])))
            }
            TemplateNode::Literal(v) => self.literal(v, field),
            // A payload template's field is named with its `.$` in causes.
            TemplateNode::Expression(e) => {
                self.expression(e, env, &format!("{field}.$"), &template.origin)
            }
            TemplateNode::Jsonata(_) => {
                self.unsupported(
                    &template.origin,
                    "a `{% %}` string is evaluated only in a JSONata state".into(),
                );
                quote!(#rt::Value::Null)
            }
        }
    }

    /// A `.$` value (or `ErrorPath`/`CausePath`): a path or an intrinsic call,
    /// as a `Value` expression; `field` names the field in causes as AWS does
    /// (`"size.$"`, `"ErrorPath"`).
    pub(super) fn expression(
        &mut self,
        e: &Expression,
        env: &Env,
        field: &str,
        origin: &Origin,
    ) -> TokenStream {
        match e {
            Expression::Path(p) => self.path_value(p, env, field, origin),
            Expression::Intrinsic(call) => self.call(call, env, field, origin),
        }
    }

    /// `$$.Map.Item.Index` and `$$.Map.Item.Value` in an `ItemSelector`: the
    /// item's index and a copy of the item, read where they are.
    fn map_item_read(&self, p: &ReferencePath) -> Option<TokenStream> {
        let rt = &self.rt;
        if !self.in_item_selector {
            return None;
        }
        match p.segments.as_slice() {
            [
                Segment::Field(map),
                Segment::Field(item),
                Segment::Field(part),
            ] if map == "Map" && item == "Item" => match part.as_str() {
                "Index" => Some(quote!(#rt::Value::from(__index))),
                "Value" => Some(quote!(#rt::Value::clone(__item))),
                _ => None,
            },
            _ => None,
        }
    }

    fn path_value(&mut self, path: &Path, env: &Env, field: &str, origin: &Origin) -> TokenStream {
        let rt = self.rt.clone();
        if !self.check_root_query(path, origin) {
            return quote!(#rt::Value::Null);
        }
        let input = &env.input;
        if let Path::Reference(p) = path
            && let Some(name) = Self::variable_name(&p.root)
        {
            let sp = self.static_path(p);
            let text = &p.text;
            return quote!(__vars.get(#name, &#sp).ok_or_else(|| #rt::path_not_found(#field, #text, #input))?);
        }
        match path {
            Path::Reference(p) if p.root == Root::Context => {
                if let Some(value) = self.map_item_read(p) {
                    return value;
                }
                let sp = self.static_path(p);
                let ctx = self.context_at(p);
                quote!(#rt::eval_context_path(#field, &#sp, &#ctx, #input)?)
            }
            Path::Reference(p) => {
                let sp = self.static_path(p);
                quote!(#rt::field(#field, &#sp, #input)?)
            }
            Path::Query(q) if q.root == Root::Context => {
                let sq = self.static_query(q);
                let ctx = self.context();
                quote!(#rt::eval_query(#field, &#sq, &#rt::Scope { input: #input, context: &#ctx.to_value(), variables: #rt::None })?)
            }
            Path::Query(q) => {
                let sq = self.static_query(q);
                quote!(#rt::query_field(#field, &#sq, #input)?)
            }
        }
    }

    /// An intrinsic call: arguments first, then a direct call of the function.
    fn call(&mut self, call: &Call, env: &Env, field: &str, origin: &Origin) -> TokenStream {
        let rt = self.rt.clone();
        let i = quote!(#rt::intrinsics);
        // `States.Format('literal {}', ...)`: the template is split now, not per call,
        // from its text as written (`\{` and `{}` differ only there). One the runtime
        // would reject goes to it whole, so the execution fails as on AWS.
        if call.function == Function::Format
            && let Some(template) = &call.format_template
        {
            let args: Vec<TokenStream> = call.args[1..]
                .iter()
                .map(|a| self.arg(a, env, field, origin))
                .collect();
            return match split_format_template(template) {
                Some(pieces) => {
                    quote!(#rt::Value::String(#i::format(&[#(#pieces),*], &[#(#args),*])?))
                }
                None => quote!(#rt::Value::String(#i::format_template(#template, &[#(#args),*])?)),
            };
        }
        let args: Vec<TokenStream> = call
            .args
            .iter()
            .map(|a| self.arg(a, env, field, origin))
            .collect();
        let (min, max) = call.function.arity();
        let arity_ok = args.len() >= min && max.is_none_or(|m| args.len() <= m);
        let r = |f: &str| proc_macro2::Ident::new(f, proc_macro2::Span::call_site());
        let direct = |name: &str, args: &[TokenStream]| {
            let f = r(name);
            quote!(#i::#f(#(&#args),*)?)
        };
        if !arity_ok {
            // The front end reports wrong arity; should one slip through, the
            // runtime's dispatcher fails with AWS's error instead of a panic.
            let variant = r(&format!("{:?}", call.function));
            return quote!(#i::call(#i::Intrinsic::#variant, &[#(#args),*])?);
        }
        match call.function {
            Function::Format => quote!(#i::call(#i::Intrinsic::Format, &[#(#args),*])?),
            Function::StringToJson => direct("string_to_json", &args),
            Function::JsonToString => {
                let a = &args[0];
                quote!(#i::json_to_string(&#a))
            }
            Function::Array => quote!(#i::array(#rt::Vec::from([#(#args),*]))),
            Function::ArrayPartition => direct("array_partition", &args),
            Function::ArrayContains => direct("array_contains", &args),
            Function::ArrayRange => direct("array_range", &args),
            Function::ArrayGetItem => direct("array_get_item", &args),
            Function::ArrayLength => direct("array_length", &args),
            Function::ArrayUnique => direct("array_unique", &args),
            Function::Base64Encode => direct("base64_encode", &args),
            Function::Base64Decode => direct("base64_decode", &args),
            Function::Hash => direct("hash", &args),
            Function::JsonMerge => direct("json_merge", &args),
            Function::MathRandom => {
                let (a, b) = (&args[0], &args[1]);
                match args.get(2) {
                    Some(c) => quote!(#i::math_random(&#a, &#b, #rt::Some(&#c))?),
                    None => quote!(#i::math_random(&#a, &#b, #rt::None)?),
                }
            }
            Function::MathAdd => direct("math_add", &args),
            Function::StringSplit => direct("string_split", &args),
            Function::Uuid => quote!(#i::uuid()),
        }
    }

    fn arg(&mut self, arg: &Arg, env: &Env, field: &str, origin: &Origin) -> TokenStream {
        match arg {
            Arg::String(s) => self.literal(&Value::String(s.clone()), ""),
            Arg::Number(n) => self.literal(&Value::Number(n.clone()), ""),
            Arg::Bool(b) => self.literal(&Value::Bool(*b), ""),
            Arg::Null => self.literal(&Value::Null, ""),
            Arg::Path(p) => self.path_value(p, env, field, origin),
            Arg::Call(c) => self.call(c, env, field, origin),
        }
    }

    /// A Choice rule as a Rust `bool` expression.
    pub(super) fn condition(&mut self, c: &Condition, env: &Env) -> TokenStream {
        self.condition_expr(c, env).0
    }

    /// A rule as a Rust condition, and whether it is atomic (a block, a call, a
    /// negation: usable as an operand of `&&`/`||`/`!` without parentheses).
    /// Parentheses are written only where precedence needs them, so the code
    /// compiles without `unused_parens` warnings.
    fn condition_expr(&mut self, c: &Condition, env: &Env) -> (TokenStream, bool) {
        let operand = |this: &mut Self, c: &Condition| {
            let (t, atomic) = this.condition_expr(c, env);
            if atomic { t } else { quote!((#t)) }
        };
        match &c.kind {
            ConditionKind::And(items) if items.is_empty() => (quote!(true), true),
            ConditionKind::Or(items) if items.is_empty() => (quote!(false), true),
            ConditionKind::And(items) => {
                let items: Vec<TokenStream> = items.iter().map(|c| operand(self, c)).collect();
                (quote!(#(#items)&&*), items.len() == 1)
            }
            ConditionKind::Or(items) => {
                let items: Vec<TokenStream> = items.iter().map(|c| operand(self, c)).collect();
                (quote!(#(#items)||*), items.len() == 1)
            }
            ConditionKind::Not(inner) => {
                let inner = operand(self, inner);
                (quote!(!#inner), true)
            }
            // `IsPresent` is a bare `==`; every other comparison is a block.
            ConditionKind::Compare(cmp) => (
                self.comparison(cmp, env),
                cmp.operator.value != Operator::IsPresent,
            ),
            ConditionKind::Jsonata(_) | ConditionKind::Literal(_) => {
                self.unsupported(
                    &c.origin,
                    "a JSONata `Condition` is evaluated only in a JSONata state".into(),
                );
                (quote!(false), true)
            }
        }
    }

    /// One comparison: the `Variable`'s value, then the operator.
    fn comparison(&mut self, cmp: &Comparison, env: &Env) -> TokenStream {
        let rt = self.rt.clone();
        let c = quote!(#rt::choice);
        let origin = cmp.variable.origin.clone();
        let op = cmp.operator.value;
        let input = env.input.clone();
        if !self.check_root_query(&cmp.variable.value, &origin) {
            return quote!(false);
        }
        // `IsPresent` is the one test that tolerates a missing variable.
        if op == Operator::IsPresent {
            let expected = matches!(cmp.operand.value, Operand::Bool(true));
            let found = self.read_optional(&cmp.variable.value, input, &origin);
            return quote!(#found.is_some() == #expected);
        }
        let (root_setup, root) = self.root_for(cmp.variable.root(), &input);
        let variable = match &cmp.variable.value {
            Path::Reference(p) => {
                let sp = self.static_path(p);
                quote!(let __v = #c::variable(&#sp, #root)?;)
            }
            Path::Query(q) => {
                let sq = self.static_query(q);
                quote!(let __vq = #rt::select_query(&#sq, #root)?; let __v = &__vq;)
            }
        };
        let cmp_kind = |op: Operator| {
            let name = op.name();
            let k = if name.ends_with("GreaterThanEquals") {
                quote!(Ge)
            } else if name.ends_with("LessThanEquals") {
                quote!(Le)
            } else if name.ends_with("GreaterThan") {
                quote!(Gt)
            } else if name.ends_with("LessThan") {
                quote!(Lt)
            } else {
                quote!(Eq)
            };
            quote!(#rt::Cmp::#k)
        };
        let k = cmp_kind(op);
        let test = match (&cmp.operand.value, op.operand_type()) {
            (Operand::Path(p), _) => {
                let operand_origin = cmp.operand.origin.clone();
                if !self.check_root_query(p, &operand_origin) {
                    return quote!(false);
                }
                let (operand_setup, operand_root) = self.root_for(p.root(), &input);
                let operand = match p {
                    Path::Reference(r) => {
                        let sp = self.static_path(r);
                        quote!(#c::operand(&#sp, #operand_root)?)
                    }
                    Path::Query(q) => {
                        let sq = self.static_query(q);
                        quote!(&#rt::select_query(&#sq, #operand_root)?)
                    }
                };
                let f = match op.operand_type() {
                    crate::model::OperandType::String => quote!(string),
                    crate::model::OperandType::Number => quote!(numeric),
                    crate::model::OperandType::Timestamp => quote!(timestamp),
                    crate::model::OperandType::Bool => quote!(boolean),
                };
                let call = if op.operand_type() == crate::model::OperandType::Bool {
                    quote!(#c::#f(__v, __o))
                } else {
                    quote!(#c::#f(__v, #k, __o))
                };
                quote!({ #operand_setup let __o = #operand; #call })
            }
            (Operand::String(s), _) if op == Operator::StringMatches => {
                quote!(#c::string_matches(__v, #s))
            }
            (Operand::String(s), crate::model::OperandType::String) => {
                quote!(#c::string_lit(__v, #k, #s))
            }
            (Operand::String(s), crate::model::OperandType::Timestamp) => {
                // Parsed once, on first use, not on every evaluation.
                quote!({
                    static __T: #c::TimestampLiteral = #c::TimestampLiteral::new(#s);
                    #c::timestamp_literal(__v, #k, &__T)
                })
            }
            (Operand::Number(n), crate::model::OperandType::Number) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                quote!(#c::numeric_lit(__v, #k, #f))
            }
            (Operand::Bool(b), _) => {
                let f = match op {
                    Operator::BooleanEquals => {
                        return quote!({ #root_setup #variable #c::boolean_lit(__v, #b) });
                    }
                    Operator::IsNull => quote!(is_null),
                    Operator::IsNumeric => quote!(is_numeric),
                    Operator::IsString => quote!(is_string),
                    Operator::IsBoolean => quote!(is_boolean),
                    Operator::IsTimestamp => quote!(is_timestamp),
                    _ => {
                        self.unsupported(
                            &cmp.operand.origin,
                            format!("`{}` does not take a boolean", op.name()),
                        );
                        return quote!(false);
                    }
                };
                if *b {
                    quote!(#c::#f(__v))
                } else {
                    quote!(!#c::#f(__v))
                }
            }
            _ => {
                self.unsupported(
                    &cmp.operand.origin,
                    format!("this operand does not fit `{}`", op.name()),
                );
                return quote!(false);
            }
        };
        quote!({ #root_setup #variable #test })
    }

    /// The `&Value` a rule's path reads from: the input, or `$$` built whole
    /// (Choice rules over `$$` are rare; the common case stays borrowed).
    fn root_for(&mut self, root: &Root, input: &TokenStream) -> (TokenStream, TokenStream) {
        match root {
            Root::Context => {
                let ctx = self.context();
                (quote!(let __root = #ctx.to_value();), quote!(&__root))
            }
            Root::Variable(name) => {
                let rt = &self.rt;
                (
                    quote!(let __root = __vars.select(#name, &#rt::ReferencePath::ROOT)?;),
                    quote!(&__root),
                )
            }
            Root::Input => (TokenStream::new(), input.clone()),
        }
    }
}

/// The JSON value of a template with no expression in it, in template order.
/// `text` as a raw string literal (`r#"{"a":1}"#`), with as many `#` as it
/// needs, so JSON reads as JSON in the generated code.
pub(super) fn raw_string(text: &str) -> TokenStream {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .unwrap_or_else(|_| quote!(#text))
}

fn literal_value(template: &Template) -> Option<Value> {
    Some(match &template.node {
        TemplateNode::Literal(v) => v.clone(),
        TemplateNode::Array(items) => {
            Value::Array(items.iter().map(literal_value).collect::<Option<_>>()?)
        }
        TemplateNode::Object(fields) => {
            let mut map = serde_json::Map::with_capacity(fields.len());
            for f in fields {
                if f.dynamic {
                    return None;
                }
                map.insert(f.name.value.clone(), literal_value(&f.value)?);
            }
            Value::Object(map)
        }
        TemplateNode::Expression(_) | TemplateNode::Jsonata(_) => return None,
    })
}

/// Splits a `States.Format` template, as written, into the literal pieces around
/// its `{}` placeholders, resolving `\{`, `\}`, `\'` and `\\`: the runtime's
/// `intrinsics::split_format_template`, run at build time (build-support does not
/// depend on the runtime). `None` where the runtime fails: a `{` or `}` that is
/// neither escaped nor part of `{}`.
pub fn split_format_template(template: &str) -> Option<Vec<String>> {
    let mut pieces = vec![String::new()];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let last = pieces.len() - 1;
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('{' | '}' | '\'' | '\\')) => {
                    chars.next();
                    pieces[last].push(next);
                }
                _ => pieces[last].push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(String::new());
            }
            '{' | '}' => return None,
            other => pieces[last].push(other),
        }
    }
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_templates_split_at_placeholders() {
        let split = |t| split_format_template(t).unwrap();
        assert_eq!(split("a {} b {}"), vec!["a ", " b ", ""]);
        assert_eq!(split(r"\{x\} {}"), vec!["{x} ", ""]);
        assert_eq!(split(r"\\ it\'s"), vec![r"\ it's"]);
        for bad in ["{", "}", "a { {}", "{{}}"] {
            assert_eq!(split_format_template(bad), None, "{bad}");
        }
    }
}
