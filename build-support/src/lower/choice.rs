//! Choice states: rules, `And`/`Or`/`Not`, comparisons, operands, and JSONata
//! `Condition`s.

use super::*;

impl Lowerer<'_> {
    // ------------------------------------------------------------ Choice

    pub(super) fn choice(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Choice {
        let mut choices = Vec::new();
        if self.require(obj, CHOICES, what)
            && let Some((items, ptr)) = self.array(obj, CHOICES)
        {
            if items.is_empty() {
                let origin = self.origin(&obj.get(CHOICES).expect("present").value, &ptr);
                self.error(
                    Rule::MissingField,
                    origin,
                    format!("\"Choices\" of {what} is empty: non-empty required"),
                    "",
                );
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(rule) = self.choice_rule(item, &format!("{ptr}/{i}"), lang) {
                    choices.push(rule);
                }
            }
        }
        Choice {
            io: self.io(obj, lang, what),
            choices,
            default: self.string(obj, DEFAULT),
        }
    }

    pub(super) fn choice_rule(
        &mut self,
        json: &Json,
        ptr: &str,
        lang: QueryLanguage,
    ) -> Option<ChoiceRule> {
        let obj = self.object(json, ptr, CHOICES)?;
        let what = "a choice rule";
        let next = if self.require(&obj, NEXT, what) {
            self.string(&obj, NEXT)
        } else {
            None
        };
        let (condition, assign, output) = if lang == QueryLanguage::Jsonata {
            self.unknown_fields(
                &obj,
                &[&[CONDITION, NEXT, COMMENT, ASSIGN, OUTPUT]],
                "a JSONata choice rule",
            );
            self.require(&obj, CONDITION, "a JSONata choice rule");
            let condition = self.jsonata_condition(&obj);
            (
                condition,
                self.assign(&obj, lang),
                self.template_field(&obj, OUTPUT, lang),
            )
        } else {
            self.query_language_fields(&obj, lang, what);
            let condition = self.condition(&obj, &[NEXT, COMMENT, ASSIGN]);
            (condition, self.assign(&obj, lang), None)
        };
        Some(ChoiceRule {
            condition: condition?,
            next: next?,
            comment: self.comment(&obj),
            assign,
            output,
            origin: self.origin(json, ptr),
        })
    }

    pub(super) fn jsonata_condition(&mut self, obj: &Obj) -> Option<Condition> {
        let m = obj.get(CONDITION)?;
        let ptr = obj.child(CONDITION);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::String(s) => match self.jsonata_string(s, origin.clone()) {
                Some(j) => Some(Condition {
                    kind: ConditionKind::Jsonata(j),
                    origin,
                }),
                None => {
                    self.error(
                        Rule::JsonataSyntax,
                        origin,
                        "\"Condition\" must be a JSONata expression \"{% ... %}\"".into(),
                        "",
                    );
                    None
                }
            },
            // Step Functions also takes a JSON boolean and evaluates it.
            JsonValue::Bool(b) => Some(Condition {
                kind: ConditionKind::Literal(*b),
                origin,
            }),
            _ => {
                self.wrong_type(
                    &m.value,
                    &ptr,
                    CONDITION,
                    "a JSONata string \"{% ... %}\" or a boolean",
                );
                None
            }
        }
    }

    /// Rule `asl::choice-rule`: a (JSONPath) Boolean expression is exactly one of
    /// `And`, `Or`, `Not`, or `Variable` with one comparison operator.
    /// `{"Variable": "$.x", "Next": "A"}` (no operator).
    pub(super) fn condition(&mut self, obj: &Obj, extra: &[&str]) -> Option<Condition> {
        let origin = self.origin(obj.json, &obj.ptr);
        let ops: Vec<&Member> = obj
            .members
            .iter()
            .filter(|m| {
                matches!(m.key.as_str(), "And" | "Or" | "Not")
                    || Operator::from_field(&m.key).is_some()
            })
            .collect();
        for m in obj.members {
            let known = m.key == VARIABLE
                || ops.iter().any(|o| o.key == m.key)
                || extra.contains(&m.key.as_str())
                || m.key == COMMENT;
            if !known {
                let o = self.key_origin(m, &obj.child(&m.key));
                self.error(
                    Rule::UnknownField,
                    o,
                    format!("a choice rule does not allow the field \"{}\"", m.key),
                    "",
                );
            }
        }
        if ops.len() != 1 {
            let msg = if ops.is_empty() {
                "a choice rule needs one of \"And\", \"Or\", \"Not\" or a comparison operator such as \"StringEquals\"".to_string()
            } else {
                let names: Vec<String> = ops.iter().map(|m| format!("\"{}\"", m.key)).collect();
                format!("a choice rule may have only one of [{}]", names.join(", "))
            };
            self.error(Rule::ChoiceRule, origin, msg, "");
            return None;
        }
        let op = ops[0];
        let ptr = obj.child(&op.key);
        let kind = match op.key.as_str() {
            "And" | "Or" => {
                if obj.has(VARIABLE) {
                    let o =
                        self.key_origin(obj.get(VARIABLE).expect("present"), &obj.child(VARIABLE));
                    self.error(
                        Rule::ChoiceRule,
                        o,
                        format!("\"Variable\" cannot be combined with \"{}\"", op.key),
                        "",
                    );
                }
                let JsonValue::Array(items) = &op.value.value else {
                    self.wrong_type(
                        &op.value,
                        &ptr,
                        &op.key,
                        "a non-empty array of choice rules",
                    );
                    return None;
                };
                if items.is_empty() {
                    let o = self.origin(&op.value, &ptr);
                    self.error(
                        Rule::ChoiceRule,
                        o,
                        format!("\"{}\" is empty: non-empty required", op.key),
                        "",
                    );
                }
                let mut rules = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{ptr}/{i}");
                    if let Some(sub) = self.object(item, &p, &op.key)
                        && let Some(c) = self.condition(&sub, &[])
                    {
                        rules.push(c);
                    }
                }
                if op.key == "And" {
                    ConditionKind::And(rules)
                } else {
                    ConditionKind::Or(rules)
                }
            }
            "Not" => {
                let sub = self.object(&op.value, &ptr, "Not")?;
                ConditionKind::Not(Box::new(self.condition(&sub, &[])?))
            }
            _ => ConditionKind::Compare(self.comparison(obj, op)?),
        };
        Some(Condition { kind, origin })
    }

    /// A comparison: `Variable` plus one operator (or its `...Path` form).
    pub(super) fn comparison(&mut self, obj: &Obj, op: &Member) -> Option<Comparison> {
        let (operator, path_form) = Operator::from_field(&op.key)?;
        let ptr = obj.child(&op.key);
        let op_origin = self.key_origin(op, &ptr);
        let variable = if self.require(obj, VARIABLE, "a comparison") {
            self.choice_variable(obj)
        } else {
            None
        };
        let value_origin = self.origin(&op.value, &ptr);
        let operand = if path_form {
            let p = self.reference_path(obj, &op.key)?;
            Operand::Path(p.value)
        } else {
            self.operand(operator, &op.value, &op.key, &ptr)?
        };
        Some(Comparison {
            variable: variable?,
            operator: Spanned {
                value: operator,
                origin: op_origin,
            },
            operand: Spanned {
                value: operand,
                origin: value_origin,
            },
        })
    }

    /// Rule `asl::invalid-path` (Variable): the value a comparison reads is a
    /// Reference Path (the language requires it of `Variable` and of the
    /// `...Path` operands), not a query or an intrinsic call.
    /// `"Variable": "States.ArrayContains(...)"`, `"Variable": "$.a[*]"`
    pub(super) fn choice_variable(&mut self, obj: &Obj) -> Option<Spanned<Path>> {
        let m = obj.get(VARIABLE)?;
        let ptr = obj.child(VARIABLE);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, VARIABLE, "a path string");
            return None;
        };
        match expr_parse::parse_reference_path(s).map(Path::Reference) {
            Ok(p) => Some(Spanned { value: p, origin }),
            Err(e) => {
                self.error(
                    Rule::InvalidPath,
                    origin,
                    format!("\"Variable\" is not a valid reference path: {e}"),
                    "a comparison reads a path such as `$.status`",
                );
                None
            }
        }
    }

    /// Rule `asl::wrong-type` (operands): each operator compares with a literal
    /// of its own type. `"NumericEquals": "1"`, `"IsNull": "true"`.
    pub(super) fn operand(
        &mut self,
        operator: Operator,
        json: &Json,
        key: &str,
        ptr: &str,
    ) -> Option<Operand> {
        let operand = match (operator.operand_type(), &json.value) {
            (OperandType::String, JsonValue::String(s)) => Operand::String(s.clone()),
            (OperandType::Timestamp, JsonValue::String(s)) => {
                let t = Spanned {
                    value: s.clone(),
                    origin: self.origin(json, ptr),
                };
                self.timestamp_format(&t, key);
                Operand::String(s.clone())
            }
            (OperandType::Number, JsonValue::Number(text)) => {
                match crate::json::number_to_serde(text) {
                    serde_json::Value::Number(n) => Operand::Number(n),
                    _ => return None,
                }
            }
            (OperandType::Bool, JsonValue::Bool(b)) => Operand::Bool(*b),
            (t, _) => {
                let expected = match t {
                    OperandType::String => "a string",
                    OperandType::Timestamp => "a timestamp string",
                    OperandType::Number => "a number",
                    OperandType::Bool => "a boolean",
                };
                self.wrong_type(json, ptr, key, expected);
                return None;
            }
        };
        Some(operand)
    }
}
