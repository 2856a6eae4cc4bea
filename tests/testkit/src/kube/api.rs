//! The REST API: routing, authentication, discovery, CRUD and `Status` errors (watches
//! are in `watches`, logs in `logs`, validation and defaults in `validate`).
//!
//! In: one HTTP request. Out: one answer; JSON objects with `kind`/`apiVersion`, list
//! objects whose items omit them (as the real API server does), newline-delimited watch
//! events on a chunked body, plain-text logs, and `Status` objects for every error.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Incoming};
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use super::Shared;
use super::auth::Access;
use super::controller;
use super::patch;
use super::selector::{FieldSelector, LabelSelector};
use super::store::{Kind, Store, now_seconds};
use super::validate::{Cause, default_job, invalid, invalid_error, validate};
use super::{logs, watches};

pub type Reply = Response<BoxBody<Bytes, Infallible>>;

/// Largest request body accepted (the real API server's limit is 3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

/// An error answered as a `Status` object.
#[derive(Debug)]
pub struct ApiError {
    code: u16,
    reason: &'static str,
    message: String,
    details: Option<Value>,
}

impl ApiError {
    pub(super) fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub(super) fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub(super) fn not_found(kind: Kind, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", kind.qualified()),
        )
        .with_details(details(kind, name))
    }

    pub(super) fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(d) = &self.details {
            status["details"] = d.clone();
        }
        status["code"] = json!(self.code);
        status
    }

    fn reply(&self) -> Reply {
        json_reply(self.code, &self.to_status())
    }
}

pub(super) fn details(kind: Kind, name: &str) -> Value {
    let info = kind.info();
    let mut d = json!({"name": name});
    if !info.group.is_empty() {
        d["group"] = json!(info.group);
    }
    d["kind"] = json!(info.plural);
    d
}

pub(super) fn full(bytes: impl Into<Bytes>) -> BoxBody<Bytes, Infallible> {
    Full::new(bytes.into()).boxed()
}

pub(super) fn json_reply(code: u16, value: &Value) -> Reply {
    let body = value.to_string();
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full("")))
}

pub(super) fn text_reply(code: u16, text: Vec<u8>) -> Reply {
    Response::builder()
        .status(code)
        .header("content-type", "text/plain")
        .body(full(text))
        .unwrap_or_else(|_| Response::new(full("")))
}

/// The exact answer to a missing or wrong token.
fn unauthorized() -> Reply {
    json_reply(
        401,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}),
    )
}

/// The request's query parameters.
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub(super) fn parse(q: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    /// An integer parameter at least `min`; 400 otherwise.
    pub(super) fn int(&self, name: &str, min: i64) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => {
                let n: i64 = v.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid value {v:?} for {name}: not an integer"))
                })?;
                if n < min {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "{name}: Invalid value: {n}: must be greater than or equal to {min}"
                        ),
                    ));
                }
                Ok(Some(n))
            }
        }
    }
}

enum Route {
    Version,
    Health,
    Api,
    Apis,
    CoreV1,
    BatchV1,
    Collection {
        kind: Kind,
        ns: Option<String>,
    },
    Object {
        kind: Kind,
        ns: Option<String>,
        name: String,
    },
    PodLog {
        ns: String,
        name: String,
    },
    JobStatus {
        ns: String,
        name: String,
    },
}

fn route(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, rest) = match segs.as_slice() {
        ["version"] => return Some(Route::Version),
        ["healthz" | "livez" | "readyz"] => return Some(Route::Health),
        ["api"] => return Some(Route::Api),
        ["apis"] => return Some(Route::Apis),
        ["api", "v1"] => return Some(Route::CoreV1),
        ["apis", "batch", "v1"] => return Some(Route::BatchV1),
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", "batch", "v1", rest @ ..] => ("batch", rest),
        _ => return None,
    };
    let kind = |plural: &str| Kind::from_plural(group, plural);
    Some(match rest {
        [plural] => Route::Collection {
            kind: kind(plural)?,
            ns: None,
        },
        ["namespaces", ns] if group.is_empty() => Route::Object {
            kind: Kind::Namespace,
            ns: None,
            name: ns.to_string(),
        },
        ["namespaces", ns, plural] => Route::Collection {
            kind: kind(plural).filter(|k| k.info().namespaced)?,
            ns: Some(ns.to_string()),
        },
        ["namespaces", ns, plural, name] => Route::Object {
            kind: kind(plural).filter(|k| k.info().namespaced)?,
            ns: Some(ns.to_string()),
            name: name.to_string(),
        },
        ["namespaces", ns, "pods", name, "log"] if group.is_empty() => Route::PodLog {
            ns: ns.to_string(),
            name: name.to_string(),
        },
        ["namespaces", ns, "jobs", name, "status"] if group == "batch" => Route::JobStatus {
            ns: ns.to_string(),
            name: name.to_string(),
        },
        _ => return None,
    })
}

fn verb(method: &Method) -> &'static str {
    match *method {
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "get",
    }
}

/// Answers one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let access = shared
        .config
        .tokens
        .access(auth, &shared.config.read_only_access_keys);
    if access == Access::None {
        return unauthorized();
    }
    let head = req.method() == Method::HEAD;
    let reply = match dispatch(shared, req, access).await {
        Ok(reply) => reply,
        Err(e) => e.reply(),
    };
    if head {
        // HEAD: GET's status and headers, no body.
        let (mut parts, body) = reply.into_parts();
        if let Some(len) = body.size_hint().exact() {
            parts.headers.insert("content-length", len.into());
        }
        return Response::from_parts(parts, full(""));
    }
    reply
}

async fn dispatch(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    access: Access,
) -> Result<Reply, ApiError> {
    let method = if req.method() == Method::HEAD {
        Method::GET
    } else {
        req.method().clone()
    };
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let route = route(&path).ok_or_else(|| {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    })?;

    if let Some(code) = shared.config.fail_watches_with
        && query.flag("watch")
    {
        return Err(ApiError::new(
            code,
            "InternalError",
            "the stand-in is configured to fail every watch",
        ));
    }
    if access == Access::NoWatch && query.flag("watch") {
        let kind = match &route {
            Route::Collection { kind, .. } | Route::Object { kind, .. } => *kind,
            _ => Kind::Job,
        };
        let info = kind.info();
        return Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{} is forbidden: User \"asl-testkit:no-watch\" cannot watch resource \"{}\" in API group \"{}\"",
                kind.qualified(),
                info.plural,
                info.group
            ),
        )
        .with_details(details(kind, "")));
    }
    if method != Method::GET && access == Access::ReadOnly {
        let (kind, ns, name) = match &route {
            Route::Collection { kind, ns } => (*kind, ns.clone(), String::new()),
            Route::Object { kind, ns, name } => (*kind, ns.clone(), name.clone()),
            Route::PodLog { ns, name } => (Kind::Pod, Some(ns.clone()), name.clone()),
            Route::JobStatus { ns, name } => (Kind::Job, Some(ns.clone()), name.clone()),
            _ => return Err(ApiError::method_not_allowed()),
        };
        let info = kind.info();
        let subject = if name.is_empty() {
            format!("{} is forbidden", kind.qualified())
        } else {
            format!("{} \"{name}\" is forbidden", kind.qualified())
        };
        let scope = ns
            .map(|n| format!(" in the namespace \"{n}\""))
            .unwrap_or_else(|| " at the cluster scope".to_string());
        return Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject}: User \"asl-testkit:read-only\" cannot {} resource \"{}\" in API group \"{}\"{scope}",
                verb(&method),
                info.plural,
                info.group
            ),
        )
        .with_details(details(kind, &name)));
    }

    let body = if matches!(
        method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        let collected = Limited::new(req.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                ApiError::new(
                    413,
                    "RequestEntityTooLarge",
                    format!("reading the request body: {e}"),
                )
            })?;
        collected.to_bytes()
    } else {
        Bytes::new()
    };

    match (route, method) {
        (Route::Version, Method::GET) => Ok(json_reply(200, &version())),
        (Route::Health, Method::GET) => Ok(text_reply(200, b"ok".to_vec())),
        (Route::Api, Method::GET) => Ok(json_reply(
            200,
            &json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:443"}]}),
        )),
        (Route::Apis, Method::GET) => Ok(json_reply(200, &api_groups())),
        (Route::CoreV1, Method::GET) => Ok(json_reply(200, &resource_list("v1"))),
        (Route::BatchV1, Method::GET) => Ok(json_reply(200, &resource_list("batch/v1"))),
        (Route::Collection { kind, ns }, Method::GET) => {
            if query.flag("watch") {
                watches::watch(shared, kind, ns, &query)
            } else {
                list(&shared, kind, ns.as_deref(), &query)
            }
        }
        (Route::Collection { kind, ns: Some(ns) }, Method::POST) => {
            create(&shared, kind, &ns, &body, &query)
        }
        (Route::Object { kind, ns, name }, Method::GET) => {
            let store = shared.store();
            ns_exists(&store, kind, ns.as_deref())?;
            let obj = store
                .get(kind, ns.as_deref().unwrap_or_default(), &name)
                .ok_or_else(|| ApiError::not_found(kind, &name))?;
            Ok(json_reply(200, obj))
        }
        (
            Route::Object {
                kind,
                ns: Some(ns),
                name,
            },
            Method::PUT,
        ) => {
            let new = parse_object(&body)?;
            update(&shared, kind, &ns, &name, &query, |_| Ok(new))
        }
        (
            Route::Object {
                kind,
                ns: Some(ns),
                name,
            },
            Method::PATCH,
        ) => patch_object(&shared, kind, &ns, &name, &content_type, &body, &query),
        (
            Route::Object {
                kind,
                ns: Some(ns),
                name,
            },
            Method::DELETE,
        ) => delete(&shared, kind, &ns, &name, &body, &query),
        (Route::JobStatus { ns, name }, Method::GET) => {
            let store = shared.store();
            let obj = store
                .get(Kind::Job, &ns, &name)
                .ok_or_else(|| ApiError::not_found(Kind::Job, &name))?;
            Ok(json_reply(200, obj))
        }
        (Route::PodLog { ns, name }, Method::GET) => logs::logs(shared, &ns, &name, &query).await,
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-asl-testkit",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn api_groups() -> Value {
    let v = json!({"groupVersion": "batch/v1", "version": "v1"});
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [{"name": "batch", "versions": [v.clone()], "preferredVersion": v}],
    })
}

fn resource_list(group_version: &str) -> Value {
    let mut resources = Vec::new();
    for kind in Kind::ALL {
        let info = kind.info();
        if info.api_version != group_version {
            continue;
        }
        resources.push(json!({
            "name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
            "kind": info.kind, "verbs": info.verbs, "shortNames": info.short_names,
        }));
        if kind == Kind::Pod {
            resources.push(
                json!({"name": "pods/log", "singularName": "", "namespaced": true,
                                  "kind": "Pod", "verbs": ["get"]}),
            );
        }
        if kind == Kind::Job {
            resources.push(
                json!({"name": "jobs/status", "singularName": "", "namespaced": true,
                                  "kind": "Job", "verbs": ["get"]}),
            );
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
           "resources": resources})
}

pub(super) fn ns_exists(store: &Store, kind: Kind, ns: Option<&str>) -> Result<(), ApiError> {
    match ns {
        Some(ns) if kind.info().namespaced && store.get(Kind::Namespace, "", ns).is_none() => {
            Err(ApiError::not_found(Kind::Namespace, ns))
        }
        _ => Ok(()),
    }
}

pub(super) fn selectors(
    kind: Kind,
    query: &Query,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(
        query.get("fieldSelector").unwrap_or_default(),
        kind.info().fields,
    )
    .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// An item inside a list: the real API server omits kind and apiVersion there.
fn list_item(obj: &Value) -> Value {
    let mut item = obj.clone();
    if let Some(map) = item.as_object_mut() {
        map.remove("kind");
        map.remove("apiVersion");
    }
    item
}

fn list(shared: &Shared, kind: Kind, ns: Option<&str>, query: &Query) -> Result<Reply, ApiError> {
    let (labels, fields) = selectors(kind, query)?;
    let limit = query
        .int("limit", 0)?
        .filter(|l| *l > 0)
        .map(|l| l as usize);
    // The continue token is the key (namespace/name) of the last item already returned.
    let after = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            use base64::Engine;
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::bad_request("continue key is not valid"))?;
            Some(raw)
        }
        None => None,
    };
    let store = shared.store();
    ns_exists(&store, kind, ns)?;
    let key_of = |o: &Value| {
        format!(
            "{}/{}",
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )
    };
    let matching: Vec<&Value> = store
        .list(kind, ns)
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
        .filter(|o| after.as_ref().is_none_or(|a| key_of(o) > *a))
        .collect();
    let take = limit.unwrap_or(matching.len()).min(matching.len());
    let items: Vec<Value> = matching[..take].iter().map(|o| list_item(o)).collect();
    let mut metadata = json!({"resourceVersion": store.resource_version().to_string()});
    if take < matching.len() {
        use base64::Engine;
        let last = key_of(matching[take - 1]);
        metadata["continue"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last));
        metadata["remainingItemCount"] = json!(matching.len() - take);
    }
    let info = kind.info();
    Ok(json_reply(
        200,
        &json!({"kind": info.list_kind, "apiVersion": info.api_version,
                "metadata": metadata, "items": items}),
    ))
}
pub(super) fn parse_object(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    Ok(value)
}

pub(super) fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Checks kind, apiVersion and namespace of a request body against the URL.
fn check_identity(kind: Kind, ns: &str, obj: &Value) -> Result<(), ApiError> {
    let info = kind.info();
    if let Some(v) = str_at(obj, "/apiVersion")
        && v != info.api_version
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({v}) does not match the expected API version ({})",
            info.api_version
        )));
    }
    if let Some(k) = str_at(obj, "/kind")
        && k != info.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({})",
            info.kind
        )));
    }
    if let Some(n) = str_at(obj, "/metadata/namespace")
        && !n.is_empty()
        && n != ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if obj.get("metadata").is_some_and(|m| !m.is_object()) {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    Ok(())
}

fn random_suffix() -> String {
    use rand::Rng;
    // Kubernetes' name alphabet without vowels and digits: lowercase letters only.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(crate) fn new_name(prefix: &str) -> String {
    format!("{prefix}{}", random_suffix())
}

fn create(
    shared: &Arc<Shared>,
    kind: Kind,
    ns: &str,
    body: &[u8],
    query: &Query,
) -> Result<Reply, ApiError> {
    if matches!(kind, Kind::Pod | Kind::Namespace) {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the asl-testkit stand-in creates {} only through its Job controller",
                kind.info().plural
            ),
        )
        .with_details(json!({})));
    }
    let mut obj = parse_object(body)?;
    check_identity(kind, ns, &obj)?;
    let info = kind.info();
    let meta = obj
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})));
    let Some(Value::Object(meta)) = meta else {
        return Err(ApiError::bad_request("metadata must be an object"));
    };
    let name = match (
        meta.get("name").and_then(Value::as_str),
        meta.get("generateName").and_then(Value::as_str),
    ) {
        (Some(n), _) if !n.is_empty() => n.to_string(),
        (_, Some(prefix)) if !prefix.is_empty() => new_name(prefix),
        _ => {
            return Err(invalid_error(
                kind,
                "",
                vec![Cause {
                    reason: "FieldValueRequired",
                    field: "metadata.name".into(),
                    message: "Required value: name or generateName is required".into(),
                }],
            ));
        }
    };
    let uid = uuid::Uuid::new_v4().to_string();
    meta.insert("name".into(), json!(name));
    meta.insert("namespace".into(), json!(ns));
    meta.insert("uid".into(), json!(uid));
    meta.insert("creationTimestamp".into(), json!(now_seconds()));
    meta.remove("resourceVersion");
    meta.remove("deletionTimestamp");
    if kind == Kind::Job {
        meta.insert("generation".into(), json!(1));
    }
    let obj_map = obj.as_object_mut().expect("checked to be an object");
    obj_map.insert("kind".into(), json!(info.kind));
    obj_map.insert("apiVersion".into(), json!(info.api_version));
    if kind == Kind::Job {
        // Status is the controller's (a subresource): what the client sent is dropped.
        obj_map.insert("status".into(), json!({}));
        default_job(&mut obj, &name, &uid);
    }
    validate(kind, &name, &obj)?;
    let dry_run = query.get("dryRun").is_some();
    let stored = {
        let mut store = shared.store();
        ns_exists(&store, kind, Some(ns))?;
        if store.get(kind, ns, &name).is_some() {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", kind.qualified()),
            )
            .with_details(details(kind, &name)));
        }
        if dry_run {
            obj
        } else {
            store.insert(kind, ns, obj)
        }
    };
    if !dry_run {
        shared.changed.notify_waiters();
        if kind == Kind::Job {
            controller::spawn(shared.clone(), ns.to_string(), name.clone(), uid);
        }
    }
    Ok(json_reply(201, &stored))
}

/// A copy of the object, or the 404 for it (or for its namespace).
fn existing(store: &Store, kind: Kind, ns: &str, name: &str) -> Result<Value, ApiError> {
    ns_exists(store, kind, Some(ns))?;
    store
        .get(kind, ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(kind, name))
}

/// Replaces an object with what `make` builds from the current one (PUT and PATCH).
fn update(
    shared: &Shared,
    kind: Kind,
    ns: &str,
    name: &str,
    query: &Query,
    make: impl FnOnce(&Value) -> Result<Value, ApiError>,
) -> Result<Reply, ApiError> {
    let mut store = shared.store();
    let current = existing(&store, kind, ns, name)?;
    let mut new = make(&current)?;
    if !new.is_object() {
        return Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "{} \"{name}\" is invalid: the object must be a JSON object",
                kind.qualified()
            ),
        )
        .with_details(details(kind, name)));
    }
    check_identity(kind, ns, &new)?;
    if str_at(&new, "/metadata/name").is_some_and(|n| n != name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            str_at(&new, "/metadata/name").unwrap_or_default()
        )));
    }
    if let Some(rv) = str_at(&new, "/metadata/resourceVersion")
        && Some(rv) != str_at(&current, "/metadata/resourceVersion")
    {
        return Err(ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.qualified()
            ),
        )
        .with_details(details(kind, name)));
    }
    let info = kind.info();
    let uid = str_at(&current, "/metadata/uid")
        .unwrap_or_default()
        .to_string();
    {
        let obj = new.as_object_mut().expect("checked to be an object");
        obj.insert("kind".into(), json!(info.kind));
        obj.insert("apiVersion".into(), json!(info.api_version));
        // Pods' and Jobs' status belongs to their controllers.
        if matches!(kind, Kind::Job | Kind::Pod) {
            match current.get("status") {
                Some(s) => obj.insert("status".into(), s.clone()),
                None => obj.remove("status"),
            };
        }
    }
    let meta = new
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})));
    if let Some(Value::Object(meta)) = meta {
        for keep in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "ownerReferences",
        ] {
            match current.pointer(&format!("/metadata/{keep}")) {
                Some(v) if keep != "ownerReferences" || !meta.contains_key(keep) => {
                    meta.insert(keep.into(), v.clone());
                }
                _ => {}
            }
        }
    }
    if kind == Kind::Job {
        default_job(&mut new, name, &uid);
        for immutable in ["/spec/template", "/spec/selector", "/spec/completions"] {
            if new.pointer(immutable) != current.pointer(immutable) {
                let field = immutable.trim_start_matches('/').replace('/', ".");
                return Err(invalid_error(
                    kind,
                    name,
                    vec![invalid(
                        field,
                        new.pointer(immutable).unwrap_or(&Value::Null),
                        "field is immutable",
                    )],
                ));
            }
        }
        if new.get("spec") != current.get("spec") {
            let generation = current
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            new["metadata"]["generation"] = json!(generation + 1);
        }
    }
    validate(kind, name, &new)?;
    if query.get("dryRun").is_some() {
        return Ok(json_reply(200, &new));
    }
    let stored = store.insert(kind, ns, new);
    drop(store);
    shared.changed.notify_waiters();
    Ok(json_reply(200, &stored))
}

fn patch_object(
    shared: &Arc<Shared>,
    kind: Kind,
    ns: &str,
    name: &str,
    content_type: &str,
    body: &[u8],
    query: &Query,
) -> Result<Reply, ApiError> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    match content_type {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            update(shared, kind, ns, name, query, |current| {
                let mut new = current.clone();
                patch::merge_patch(&mut new, &doc);
                Ok(new)
            })
        }
        "application/json-patch+json" => update(shared, kind, ns, name, query, |current| {
            patch::json_patch(current, &doc).map_err(|e| {
                ApiError::new(422, "Invalid", format!("the server rejected our request due to an error in our request: {e}"))
            })
        }),
        "application/apply-patch+yaml" => {
            if query.get("fieldManager").is_none_or(str::is_empty) {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                ));
            }
            let exists = shared.store().get(kind, ns, name).is_some();
            if exists {
                update(shared, kind, ns, name, query, |current| {
                    let mut new = current.clone();
                    patch::merge_patch(&mut new, &doc);
                    Ok(new)
                })
            } else {
                let mut new = doc.clone();
                if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.insert("name".into(), json!(name));
                }
                create(shared, kind, ns, new.to_string().as_bytes(), query)
            }
        }
        other => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other})"),
        )
        .with_details(json!({}))),
    }
}

fn delete(
    shared: &Arc<Shared>,
    kind: Kind,
    ns: &str,
    name: &str,
    body: &[u8],
    query: &Query,
) -> Result<Reply, ApiError> {
    if kind == Kind::Namespace {
        return Err(ApiError::method_not_allowed());
    }
    let options: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
    };
    let propagation = query
        .get("propagationPolicy")
        .map(str::to_string)
        .or_else(|| str_at(&options, "/propagationPolicy").map(str::to_string))
        .or_else(|| {
            let orphan = query
                .get("orphanDependents")
                .map(|v| v == "true")
                .or_else(|| options.get("orphanDependents").and_then(Value::as_bool));
            orphan.map(|o| if o { "Orphan" } else { "Background" }.to_string())
        });
    if let Some(p) = &propagation
        && !matches!(p.as_str(), "Orphan" | "Background" | "Foreground")
    {
        return Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            ),
        ));
    }
    let mut store = shared.store();
    let current = existing(&store, kind, ns, name)?;
    let uid = str_at(&current, "/metadata/uid")
        .unwrap_or_default()
        .to_string();
    for (field, actual) in [
        ("uid", &uid),
        (
            "resourceVersion",
            &str_at(&current, "/metadata/resourceVersion")
                .unwrap_or_default()
                .to_string(),
        ),
    ] {
        if let Some(want) = str_at(&options, &format!("/preconditions/{field}"))
            && want != actual
        {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!("Precondition failed: {field}: {want}, ObjectMeta.{field}: {actual}"),
            )
            .with_details(details(kind, name)));
        }
    }
    let mut warning = None;
    // Jobs orphan their pods unless told otherwise (batch/v1's legacy default).
    let policy = propagation.unwrap_or_else(|| {
        if kind == Kind::Job {
            warning = Some("299 - \"child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them\"");
            "Orphan".to_string()
        } else {
            "Background".to_string()
        }
    });
    if query.get("dryRun").is_some() {
        return Ok(json_reply(200, &current));
    }
    let mut last = current.clone();
    last["metadata"]["deletionTimestamp"] = json!(now_seconds());
    last["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    if kind == Kind::Job {
        let owned: Vec<String> = store
            .list(Kind::Pod, Some(ns))
            .into_iter()
            .filter(|p| {
                p.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter().any(|r| str_at(r, "/uid") == Some(uid.as_str()))
                    })
            })
            .filter_map(|p| str_at(p, "/metadata/name").map(str::to_string))
            .collect();
        for pod in owned {
            if policy == "Orphan" {
                // The garbage collector drops the owner reference from orphans.
                if let Some(mut p) = store.get(Kind::Pod, ns, &pod).cloned() {
                    if let Some(m) = p["metadata"].as_object_mut() {
                        m.remove("ownerReferences");
                    }
                    store.insert(Kind::Pod, ns, p);
                }
            } else {
                store.remove(Kind::Pod, ns, &pod);
            }
        }
        if policy != "Background" {
            let finalizer = if policy == "Orphan" {
                "orphan"
            } else {
                "foregroundDeletion"
            };
            last["metadata"]["finalizers"] = json!([finalizer]);
        }
    }
    store.remove(kind, ns, name);
    drop(store);
    shared.changed.notify_waiters();
    // Objects that went at once answer a success Status; ones that waited on a finalizer
    // (or a pod's grace period) answer the object as it was being deleted.
    let reply_body = if kind == Kind::Pod || last.pointer("/metadata/finalizers").is_some() {
        last
    } else {
        let mut d = details(kind, name);
        d["uid"] = json!(uid);
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d})
    };
    let mut reply = json_reply(200, &reply_body);
    if let Some(w) = warning {
        reply
            .headers_mut()
            .insert("warning", hyper::header::HeaderValue::from_static(w));
    }
    Ok(reply)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert!(matches!(route("/version"), Some(Route::Version)));
        assert!(matches!(
            route("/apis/batch/v1/namespaces/default/jobs"),
            Some(Route::Collection {
                kind: Kind::Job,
                ns: Some(_)
            })
        ));
        assert!(matches!(
            route("/api/v1/namespaces/default/pods/p-abcde/log"),
            Some(Route::PodLog { .. })
        ));
        assert!(matches!(
            route("/api/v1/namespaces/kube-system"),
            Some(Route::Object {
                kind: Kind::Namespace,
                ..
            })
        ));
        assert!(matches!(
            route("/api/v1/pods"),
            Some(Route::Collection {
                kind: Kind::Pod,
                ns: None
            })
        ));
        // Jobs are not in the core group, pods not in batch.
        assert!(route("/api/v1/namespaces/default/jobs").is_none());
        assert!(route("/apis/batch/v1/namespaces/default/pods").is_none());
        assert!(route("/apis/apps/v1/deployments").is_none());
    }

    #[test]
    fn names_get_five_lowercase_letters() {
        let n = new_name("pi-");
        assert_eq!(n.len(), 8);
        assert!(n[3..].chars().all(|c| c.is_ascii_lowercase()));
    }
}
