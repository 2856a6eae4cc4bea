//! Validation (422 Invalid with field causes) and the defaults the API server fills in.
//!
//! In: an object about to be stored. Out: the object with Kubernetes' defaults (Jobs),
//! or the [`ApiError`] listing every field that is wrong.

use serde_json::{Value, json};

use super::api::{ApiError, details};
use super::store::Kind;

/// One field error of a 422 answer.
pub(super) struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

pub(super) fn required(field: impl Into<String>) -> Cause {
    Cause {
        reason: "FieldValueRequired",
        field: field.into(),
        message: "Required value".into(),
    }
}

pub(super) fn invalid(field: impl Into<String>, value: &Value, why: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid",
        field: field.into(),
        message: format!("Invalid value: {value}: {why}"),
    }
}

pub(super) fn invalid_error(kind: Kind, name: &str, causes: Vec<Cause>) -> ApiError {
    let info = kind.info();
    let texts: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let joined = if texts.len() == 1 {
        texts[0].clone()
    } else {
        format!("[{}]", texts.join(", "))
    };
    let qualified = if info.group.is_empty() {
        info.kind.to_string()
    } else {
        format!("{}.{}", info.kind, info.group)
    };
    let mut d = details(kind, name);
    d["causes"] = causes
        .iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect();
    ApiError::new(
        422,
        "Invalid",
        format!("{qualified} \"{name}\" is invalid: {joined}"),
    )
    .with_details(d)
}

fn dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn dns_label(name: &str) -> bool {
    dns_subdomain(name) && name.len() <= 63 && !name.contains('.')
}

/// The kind's validation rules (a subset of the real ones, the ones clients trip on).
pub(super) fn validate(kind: Kind, name: &str, obj: &Value) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    if !dns_subdomain(name) || (kind == Kind::Job && name.len() > 63) {
        causes.push(invalid(
            "metadata.name",
            &json!(name),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ));
    }
    for field in ["labels", "annotations"] {
        if let Some(map) = obj.pointer(&format!("/metadata/{field}")) {
            let ok = map
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string));
            if !ok {
                causes.push(invalid(
                    format!("metadata.{field}"),
                    map,
                    "must map strings to strings",
                ));
            }
        }
    }
    match kind {
        Kind::Job => validate_job(obj, &mut causes),
        Kind::ConfigMap => {
            for field in ["data", "binaryData"] {
                if let Some(data) = obj.get(field) {
                    match data.as_object() {
                        Some(m) => {
                            for (k, v) in m {
                                let key_ok = !k.is_empty()
                                    && k.chars()
                                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
                                if !key_ok {
                                    causes.push(invalid(format!("{field}[{k}]"), &json!(k), "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
                                }
                                if !v.is_string() {
                                    causes.push(invalid(
                                        format!("{field}[{k}]"),
                                        v,
                                        "must be a string",
                                    ));
                                }
                            }
                        }
                        None if data.is_null() => {}
                        None => causes.push(invalid(field, data, "must be a map of strings")),
                    }
                }
            }
        }
        Kind::Pod | Kind::Namespace => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(invalid_error(kind, name, causes))
    }
}

fn validate_job(obj: &Value, causes: &mut Vec<Cause>) {
    for field in [
        "backoffLimit",
        "completions",
        "parallelism",
        "activeDeadlineSeconds",
    ] {
        if let Some(v) = obj.pointer(&format!("/spec/{field}")) {
            let min = if field == "activeDeadlineSeconds" {
                1
            } else {
                0
            };
            if !v.is_null() && v.as_i64().is_none_or(|n| n < min) {
                causes.push(invalid(
                    format!("spec.{field}"),
                    v,
                    &format!("must be greater than or equal to {min}"),
                ));
            }
        }
    }
    let Some(spec) = obj.pointer("/spec/template/spec").filter(|s| s.is_object()) else {
        causes.push(required("spec.template.spec.containers"));
        return;
    };
    match spec.get("restartPolicy").and_then(Value::as_str) {
        Some("Never" | "OnFailure") => {}
        Some(other) => causes.push(Cause {
            reason: "FieldValueNotSupported",
            field: "spec.template.spec.restartPolicy".into(),
            message: format!(
                "Unsupported value: \"{other}\": supported values: \"OnFailure\", \"Never\""
            ),
        }),
        None => causes.push(Cause {
            reason: "FieldValueRequired",
            field: "spec.template.spec.restartPolicy".into(),
            message: "Required value: valid values: \"OnFailure\", \"Never\"".into(),
        }),
    }
    let containers = spec.get("containers").and_then(Value::as_array);
    match containers {
        None => causes.push(required("spec.template.spec.containers")),
        Some(list) if list.is_empty() => causes.push(required("spec.template.spec.containers")),
        Some(list) => {
            let mut seen = Vec::new();
            for (i, c) in list.iter().enumerate() {
                let at = format!("spec.template.spec.containers[{i}]");
                match c.get("name").and_then(Value::as_str) {
                    None | Some("") => causes.push(required(format!("{at}.name"))),
                    Some(n) if !dns_label(n) => causes.push(invalid(
                        format!("{at}.name"),
                        &json!(n),
                        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    )),
                    Some(n) if seen.contains(&n) => causes.push(Cause {
                        reason: "FieldValueDuplicate",
                        field: format!("{at}.name"),
                        message: format!("Duplicate value: \"{n}\""),
                    }),
                    Some(n) => seen.push(n),
                }
                if c.get("image")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    causes.push(required(format!("{at}.image")));
                }
                for field in ["command", "args"] {
                    if let Some(v) = c.get(field)
                        && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                    {
                        causes.push(invalid(
                            format!("{at}.{field}"),
                            v,
                            "must be a list of strings",
                        ));
                    }
                }
            }
        }
    }
}

/// Fills what the API server defaults on a Job (given its uid).
pub(super) fn default_job(obj: &mut Value, name: &str, uid: &str) {
    let spec = obj
        .as_object_mut()
        .map(|o| o.entry("spec").or_insert_with(|| json!({})));
    let Some(Value::Object(spec)) = spec else {
        return;
    };
    for (k, v) in [
        ("parallelism", json!(1)),
        ("completions", json!(1)),
        ("backoffLimit", json!(6)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
        ("manualSelector", json!(false)),
    ] {
        if spec.get(k).is_none_or(Value::is_null) {
            spec.insert(k.to_string(), v);
        }
    }
    let labels = json!({
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    });
    if spec.get("selector").is_none_or(Value::is_null) {
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
    }
    let template = spec.entry("template").or_insert_with(|| json!({}));
    if let Some(t) = template.as_object_mut() {
        let meta = t.entry("metadata").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            let l = m.entry("labels").or_insert_with(|| json!({}));
            if let (Some(l), Some(add)) = (l.as_object_mut(), labels.as_object()) {
                for (k, v) in add {
                    l.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(Value::Object(ps)) = t.get_mut("spec") {
            for (k, v) in [
                ("terminationGracePeriodSeconds", json!(30)),
                ("dnsPolicy", json!("ClusterFirst")),
                ("schedulerName", json!("default-scheduler")),
                ("securityContext", json!({})),
            ] {
                ps.entry(k.to_string()).or_insert(v);
            }
            if let Some(Value::Array(cs)) = ps.get_mut("containers") {
                for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
                    let latest = !image.contains(':') || image.ends_with(":latest");
                    let policy = if latest { "Always" } else { "IfNotPresent" };
                    c.entry("imagePullPolicy").or_insert(json!(policy));
                    c.entry("resources").or_insert(json!({}));
                    c.entry("terminationMessagePath")
                        .or_insert(json!("/dev/termination-log"));
                    c.entry("terminationMessagePolicy").or_insert(json!("File"));
                }
            }
        }
    }
    // A Job without labels takes its pod template's, as the API server defaults it.
    let template_labels = obj.pointer("/spec/template/metadata/labels").cloned();
    if let (Some(meta), Some(tl)) = (
        obj.get_mut("metadata").and_then(Value::as_object_mut),
        template_labels,
    ) && meta
        .get("labels")
        .and_then(Value::as_object)
        .is_none_or(|l| l.is_empty())
    {
        meta.insert("labels".into(), tl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_validation_lists_every_problem() {
        let job = json!({"spec": {"template": {"spec": {"containers": [{"name": "Bad_Name"}], "restartPolicy": "Always"}}}});
        let err = validate(Kind::Job, "pi", &job).unwrap_err();
        let status = err.to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["reason"], "Invalid");
        let fields: Vec<&str> = status["details"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "spec.template.spec.restartPolicy",
                "spec.template.spec.containers[0].name",
                "spec.template.spec.containers[0].image"
            ]
        );
        assert!(
            status["message"]
                .as_str()
                .unwrap()
                .starts_with("Job.batch \"pi\" is invalid: [")
        );
    }

    #[test]
    fn job_defaults_label_the_template() {
        let mut job = json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {"containers": [{"name": "pi", "image": "perl:5.34.0"}]}}}});
        default_job(&mut job, "pi", "u-1");
        assert_eq!(job["spec"]["backoffLimit"], 6);
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            "pi"
        );
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["controller-uid"],
            "u-1"
        );
        assert_eq!(
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        assert_eq!(
            job["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
    }
}
