//! Pass, Wait (durations and timestamps) and Fail (error and cause) states.

use super::*;

impl Lowerer<'_> {
    // ------------------------------------------------------------ Pass, Wait, Fail

    pub(super) fn pass(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Pass {
        let result = obj
            .get(RESULT)
            .filter(|_| lang == QueryLanguage::JsonPath)
            .map(|m| Spanned {
                value: m.value.to_serde(),
                origin: self.origin(&m.value, &obj.child(RESULT)),
            });
        Pass {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            result,
        }
    }

    /// Rule `asl::wait-duration`: a Wait has exactly one of `Seconds`,
    /// `Timestamp`, `SecondsPath`, `TimestampPath`. `{"Seconds": 1, "SecondsPath": "$.s"}`
    pub(super) fn wait(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Wait {
        let given: Vec<&Member> = [SECONDS, TIMESTAMP, SECONDS_PATH, TIMESTAMP_PATH]
            .iter()
            .filter_map(|k| obj.get(k))
            .collect();
        let state_origin = self.origin(obj.json, &obj.ptr);
        if given.len() != 1 {
            let origin = given.get(1).map_or(state_origin.clone(), |m| {
                self.key_origin(m, &obj.child(&m.key))
            });
            let names: Vec<String> = given.iter().map(|m| format!("\"{}\"", m.key)).collect();
            let msg = if given.is_empty() {
                format!(
                    "{what} needs one of \"Seconds\", \"Timestamp\", \"SecondsPath\" or \"TimestampPath\""
                )
            } else {
                format!("{what} may have only one of [{}]", names.join(", "))
            };
            self.error(
                Rule::WaitDuration,
                origin,
                msg,
                "a Wait waits either a number of seconds or until a timestamp",
            );
        }
        let duration = self
            .wait_duration(obj)
            .unwrap_or(WaitDuration::Seconds(Dynamic::Literal(Spanned {
                value: 0,
                origin: state_origin,
            })));
        Wait {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            duration,
        }
    }

    pub(super) fn wait_duration(&mut self, obj: &Obj) -> Option<WaitDuration> {
        if obj.has(SECONDS) {
            if let Some(j) = self.jsonata_value(obj, SECONDS) {
                return Some(WaitDuration::Seconds(j));
            }
            return self
                .integer(obj, SECONDS, 0, MAX_INTEGER_FIELD)
                .map(|s| WaitDuration::Seconds(Dynamic::Literal(s)));
        }
        if obj.has(TIMESTAMP) {
            if let Some(j) = self.jsonata_value(obj, TIMESTAMP) {
                return Some(WaitDuration::Timestamp(j));
            }
            let t = self.string(obj, TIMESTAMP)?;
            self.timestamp_format(&t, TIMESTAMP);
            return Some(WaitDuration::Timestamp(Dynamic::Literal(t)));
        }
        if let Some(p) = self.reference_path(obj, SECONDS_PATH) {
            return Some(WaitDuration::Seconds(Dynamic::Path(Spanned {
                value: Expression::Path(p.value),
                origin: p.origin,
            })));
        }
        let p = self.reference_path(obj, TIMESTAMP_PATH)?;
        Some(WaitDuration::Timestamp(Dynamic::Path(Spanned {
            value: Expression::Path(p.value),
            origin: p.origin,
        })))
    }

    /// Rule `asl::invalid-timestamp`: timestamps are RFC 3339 date-times with an
    /// upper-case `T` and a zone. `"Timestamp": "2016-03-14 01:59:00"`
    pub(super) fn timestamp_format(&mut self, t: &Spanned<String>, key: &str) {
        if !is_rfc3339(&t.value) {
            self.error(
                Rule::InvalidTimestamp,
                t.origin.clone(),
                format!("\"{key}\" is \"{}\", not an RFC 3339 timestamp", t.value),
                "write e.g. \"2016-03-14T01:59:00Z\"",
            );
        }
    }

    pub(super) fn fail(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Fail {
        Fail {
            error: self.fail_field(obj, ERROR, ERROR_PATH, lang, what),
            cause: self.fail_field(obj, CAUSE, CAUSE_PATH, lang, what),
        }
    }

    /// `Error`/`ErrorPath` and `Cause`/`CausePath`: the path form may also be an
    /// intrinsic function.
    pub(super) fn fail_field(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        lang: QueryLanguage,
        what: &str,
    ) -> Option<Dynamic<String>> {
        self.mutually_exclusive(obj, key, path_key, what);
        if lang == QueryLanguage::JsonPath
            && let Some(m) = obj.get(path_key)
        {
            let ptr = obj.child(path_key);
            let origin = self.origin(&m.value, &ptr);
            let JsonValue::String(s) = &m.value.value else {
                self.wrong_type(
                    &m.value,
                    &ptr,
                    path_key,
                    "a path or intrinsic function string",
                );
                return None;
            };
            return match expr_parse::parse_expression(s) {
                Ok(e) => Some(Dynamic::Path(Spanned { value: e, origin })),
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"{path_key}\": {e}"),
                        "",
                    );
                    None
                }
            };
        }
        if let Some(j) = self
            .jsonata_value(obj, key)
            .filter(|_| lang == QueryLanguage::Jsonata)
        {
            return Some(j);
        }
        self.string(obj, key).map(Dynamic::Literal)
    }
}
