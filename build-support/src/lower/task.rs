//! Task states: `Resource` (URIs and ARNs), timeouts, `Credentials`, and the
//! `Retry` and `Catch` lists every Task, Parallel and Map may carry.

use super::*;

impl Lowerer<'_> {
    // ------------------------------------------------------------ Task

    pub(super) fn task(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Task {
        let resource = if self.require(obj, RESOURCE, what) {
            self.resource(obj)
        } else {
            None
        };
        let resource = resource.unwrap_or_else(|| Spanned {
            value: Resource {
                arn: String::new(),
                integration: None,
            },
            origin: self.origin(obj.json, &obj.ptr),
        });
        let timeout_seconds = self.dynamic_integer(
            obj,
            TIMEOUT_SECONDS,
            TIMEOUT_SECONDS_PATH,
            1,
            MAX_INTEGER_FIELD,
            what,
        );
        let heartbeat_seconds = self.dynamic_integer(
            obj,
            HEARTBEAT_SECONDS,
            HEARTBEAT_SECONDS_PATH,
            1,
            MAX_INTEGER_FIELD,
            what,
        );
        self.heartbeat_below_timeout(&timeout_seconds, &heartbeat_seconds, what);
        let credentials = self.template_field(obj, CREDENTIALS, lang);
        self.credentials_shape(obj);
        Task {
            resource,
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            timeout_seconds,
            heartbeat_seconds,
            credentials,
        }
    }

    /// Rule `asl::heartbeat-not-below-timeout`: a heartbeat interval must be
    /// shorter than the task timeout, or it can never fire.
    /// `"TimeoutSeconds": 10, "HeartbeatSeconds": 10`
    pub(super) fn heartbeat_below_timeout(
        &mut self,
        timeout: &Option<Dynamic<u64>>,
        heartbeat: &Option<Dynamic<u64>>,
        what: &str,
    ) {
        if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) = (timeout, heartbeat)
            && h.value >= t.value
        {
            self.error(
                    Rule::HeartbeatNotBelowTimeout,
                    h.origin.clone(),
                    format!("{what} has HeartbeatSeconds {} but TimeoutSeconds {}: the heartbeat must be smaller", h.value, t.value),
                    "",
                );
        }
    }

    /// Rule `asl::wrong-type` (Credentials): an object (naming the role to assume).
    /// `"Credentials": null`
    pub(super) fn credentials_shape(&mut self, obj: &Obj) {
        let Some(m) = obj.get(CREDENTIALS) else {
            return;
        };
        let ptr = obj.child(CREDENTIALS);
        match &m.value.value {
            JsonValue::Object(_) => {}
            _ => self.wrong_type(&m.value, &ptr, CREDENTIALS, "an object with \"RoleArn\""),
        }
    }

    /// Rule `asl::invalid-arn`: `Resource` is a URI (the States Language's
    /// definition, which lets a program register its own handler under any
    /// `scheme:name`), and when it is an ARN (`arn:...`) it is a well-formed one.
    /// `"Resource": "${lambdaArn}"`, `"arn:aws:lambda:r:1:function:NAME:"` (empty alias).
    pub(super) fn resource(&mut self, obj: &Obj) -> Option<Spanned<Resource>> {
        let s = self.string(obj, RESOURCE)?;
        if expr_parse::jsonata(&s.value).is_some() {
            return Some(Spanned {
                value: Resource {
                    arn: s.value.clone(),
                    integration: None,
                },
                origin: s.origin,
            });
        }
        if let Err(e) = check_resource_uri(&s.value) {
            self.error(Rule::InvalidArn, s.origin.clone(), format!("\"Resource\" `{}` is not a valid ARN: {e}", s.value), "e.g. `arn:aws:states:::eks:runJob.sync` or `arn:aws:lambda:us-east-1:123456789012:function:name`");
        }
        let integration = asl_lang::integrations::integration(&s.value);
        Some(Spanned {
            value: Resource {
                arn: s.value.clone(),
                integration,
            },
            origin: s.origin,
        })
    }

    // ------------------------------------------------------------ Retry / Catch

    pub(super) fn array<'j>(&mut self, obj: &Obj<'j>, key: &str) -> Option<(&'j [Json], String)> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        match &m.value.value {
            JsonValue::Array(items) => Some((items, ptr)),
            _ => {
                self.wrong_type(&m.value, &ptr, key, "an array");
                None
            }
        }
    }

    pub(super) fn retriers(&mut self, obj: &Obj) -> Vec<Retrier> {
        let Some((items, ptr)) = self.array(obj, RETRY) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let Some(r) = self.object(item, &p, RETRY) else {
                continue;
            };
            let what = format!("Retry entry {i}");
            self.unknown_fields(
                &r,
                &[&[
                    ERROR_EQUALS,
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    COMMENT,
                ]],
                &what,
            );
            let error_equals = self.error_equals(&r, &what);
            out.push(Retrier {
                error_equals,
                interval_seconds: self.integer(&r, "IntervalSeconds", 1, MAX_INTEGER_FIELD),
                max_attempts: self.integer(&r, "MaxAttempts", 0, MAX_INTEGER_FIELD),
                backoff_rate: self.number(&r, "BackoffRate", 1.0, f64::MAX),
                max_delay_seconds: self.integer(&r, "MaxDelaySeconds", 1, MAX_DELAY_SECONDS),
                jitter_strategy: self.enum_field(
                    &r,
                    "JitterStrategy",
                    &[
                        ("FULL", JitterStrategy::Full),
                        ("NONE", JitterStrategy::None),
                    ],
                ),
                comment: self.comment(&r),
                origin: self.origin(item, &p),
            });
        }
        self.states_all_last(
            &out.iter().map(|r| &r.error_equals[..]).collect::<Vec<_>>(),
            RETRY,
        );
        out
    }

    pub(super) fn catchers(&mut self, obj: &Obj, lang: QueryLanguage) -> Vec<Catcher> {
        let Some((items, ptr)) = self.array(obj, CATCH) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let Some(c) = self.object(item, &p, CATCH) else {
                continue;
            };
            let what = format!("Catch entry {i}");
            self.unknown_fields(
                &c,
                &[&[ERROR_EQUALS, NEXT, RESULT_PATH, OUTPUT, ASSIGN, COMMENT]],
                &what,
            );
            self.query_language_fields(&c, lang, &what);
            let error_equals = self.error_equals(&c, &what);
            let next = if self.require(&c, NEXT, &what) {
                self.string(&c, NEXT)
            } else {
                None
            };
            let Some(next) = next else { continue };
            out.push(Catcher {
                error_equals,
                next,
                result_path: if lang == QueryLanguage::JsonPath {
                    self.result_path(&c)
                } else {
                    None
                },
                output: if lang == QueryLanguage::Jsonata {
                    self.template_field(&c, OUTPUT, lang)
                } else {
                    None
                },
                assign: self.assign(&c, lang),
                comment: self.comment(&c),
                origin: self.origin(item, &p),
            });
        }
        self.states_all_last(
            &out.iter().map(|c| &c.error_equals[..]).collect::<Vec<_>>(),
            CATCH,
        );
        out
    }

    /// Rule `asl::error-equals`: `ErrorEquals` is a non-empty array of error-name
    /// strings. `"ErrorEquals": []`
    pub(super) fn error_equals(&mut self, obj: &Obj, what: &str) -> Vec<Spanned<String>> {
        if !self.require(obj, ERROR_EQUALS, what) {
            return Vec::new();
        }
        let Some((items, ptr)) = self.array(obj, ERROR_EQUALS) else {
            return Vec::new();
        };
        if items.is_empty() {
            let m = obj.get(ERROR_EQUALS).expect("present");
            let origin = self.origin(&m.value, &ptr);
            self.error(
                Rule::ErrorEquals,
                origin,
                format!("\"ErrorEquals\" of {what} is empty: non-empty required"),
                "list error names, e.g. [\"States.ALL\"]",
            );
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            match &item.value {
                JsonValue::String(s) => out.push(Spanned {
                    value: s.clone(),
                    origin: self.origin(item, &p),
                }),
                _ => self.wrong_type(item, &p, ERROR_EQUALS, "an array of strings"),
            }
        }
        out
    }

    /// Rule `asl::states-all-position`: `States.ALL` must be the only name in its
    /// `ErrorEquals`, and that entry must be the last of the Retry/Catch list
    /// (later entries could never match). `[{"ErrorEquals": ["States.ALL", "X"]}]`
    pub(super) fn states_all_last(&mut self, lists: &[&[Spanned<String>]], field: &str) {
        for (i, list) in lists.iter().enumerate() {
            let Some(all) = list.iter().find(|e| e.value == asl_lang::errors::ALL) else {
                continue;
            };
            if list.len() > 1 {
                self.error(Rule::StatesAllPosition, all.origin.clone(), format!("\"States.ALL\" must be the only error name in its ErrorEquals ({field} entry {i})"), "move the other names to an earlier entry");
            }
            if i + 1 < lists.len() {
                self.error(Rule::StatesAllPosition, all.origin.clone(), format!("the {field} entry with \"States.ALL\" must be the last one; entries after it never match"), "move it to the end");
            }
        }
    }
}

/// Checks a Resource: a URI `scheme:rest` (RFC 3986 scheme), and for the `arn`
/// scheme a well-formed ARN.
pub fn check_resource_uri(uri: &str) -> Result<(), String> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(
            "a Resource is a URI such as an ARN (`arn:partition:service:region:account:resource`)"
                .into(),
        );
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Err(
            "a Resource is a URI such as an ARN (`arn:partition:service:region:account:resource`)"
                .into(),
        );
    }
    if let Some(c) = uri
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "{}\"<>|\\^`".contains(*c))
    {
        return Err(format!("the character `{c}` cannot appear in a URI"));
    }
    if scheme == "arn" {
        check_arn(uri)
    } else {
        Ok(())
    }
}

/// Checks an ARN in `Resource` against the grammar of the services Step
/// Functions takes there ([`asl_lang::integrations::arn`]): a service
/// integration, an activity or a Lambda function, each with its names' rules.
pub fn check_arn(arn: &str) -> Result<(), String> {
    asl_lang::integrations::arn::task_arn(arn).map(|_| ())
}
