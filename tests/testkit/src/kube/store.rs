//! The stand-in's state: objects by kind, namespace and name, one resourceVersion
//! counter for everything (like etcd's revision), the log of watch events, and the
//! containers' logs.
//!
//! In: objects as JSON (with `kind` and `apiVersion`). Out: the same objects with
//! `metadata.resourceVersion` set on every write, and one watch event per write.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The kinds the stand-in serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Pod,
    ConfigMap,
    Job,
}

/// What the API says about a kind (discovery, error messages, list kinds).
pub struct KindInfo {
    pub kind: &'static str,
    pub list_kind: &'static str,
    pub api_version: &'static str,
    /// "" for the core group.
    pub group: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Field selector paths beyond metadata.name and metadata.namespace.
    pub fields: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Namespace, Kind::Pod, Kind::ConfigMap, Kind::Job];

    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::Namespace => &KindInfo {
                kind: "Namespace",
                list_kind: "NamespaceList",
                api_version: "v1",
                group: "",
                plural: "namespaces",
                singular: "namespace",
                namespaced: false,
                short_names: &["ns"],
                verbs: &["get", "list", "watch"],
                fields: &["status.phase"],
            },
            Kind::Pod => &KindInfo {
                kind: "Pod",
                list_kind: "PodList",
                api_version: "v1",
                group: "",
                plural: "pods",
                singular: "pod",
                namespaced: true,
                short_names: &["po"],
                verbs: &["delete", "get", "list", "patch", "update", "watch"],
                fields: &["status.phase", "spec.nodeName"],
            },
            Kind::ConfigMap => &KindInfo {
                kind: "ConfigMap",
                list_kind: "ConfigMapList",
                api_version: "v1",
                group: "",
                plural: "configmaps",
                singular: "configmap",
                namespaced: true,
                short_names: &["cm"],
                verbs: ALL_VERBS,
                fields: &[],
            },
            Kind::Job => &KindInfo {
                kind: "Job",
                list_kind: "JobList",
                api_version: "batch/v1",
                group: "batch",
                plural: "jobs",
                singular: "job",
                namespaced: true,
                short_names: &[],
                verbs: ALL_VERBS,
                fields: &["status.successful"],
            },
        }
    }

    /// The kind served under `group` (`""` = core) as `plural`.
    pub fn from_plural(group: &str, plural: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.info().group == group && k.info().plural == plural)
    }

    /// `jobs.batch` or `pods`: how Kubernetes names the resource in messages.
    pub fn qualified(self) -> String {
        let info = self.info();
        if info.group.is_empty() {
            info.plural.to_string()
        } else {
            format!("{}.{}", info.plural, info.group)
        }
    }
}

/// One change, as watchers see it.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub kind: Kind,
    pub namespace: String,
    /// ADDED, MODIFIED or DELETED.
    pub kind_of_change: &'static str,
    pub object: Value,
}

/// One container's output, line by line with the time each line was read.
#[derive(Debug, Default)]
pub struct ContainerLog {
    pub lines: Vec<(String, Vec<u8>)>,
    pub finished: bool,
}

/// (namespace, pod, container).
pub type LogKey = (String, String, String);

/// How many watch events are kept for watches that resume from a resourceVersion.
const EVENT_HISTORY: usize = 20_000;

pub struct Store {
    rv: u64,
    objects: BTreeMap<(Kind, String, String), Value>,
    events: VecDeque<Arc<Event>>,
    pub logs: HashMap<LogKey, ContainerLog>,
    /// How many objects of each kind were ever created.
    added: HashMap<Kind, usize>,
}

/// `2026-01-02T03:04:05Z`, the precision of metav1.Time.
pub fn now_seconds() -> String {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    now.format(&Rfc3339).unwrap_or_default()
}

/// `2026-01-02T03:04:05.123456789Z`, the precision of log timestamps.
pub fn now_nanos() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl Store {
    /// A store holding the namespaces every cluster has.
    pub fn new() -> Store {
        let mut store = Store {
            rv: 0,
            objects: BTreeMap::new(),
            events: VecDeque::new(),
            logs: HashMap::new(),
            added: HashMap::new(),
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = json!({
                "kind": "Namespace",
                "apiVersion": "v1",
                "metadata": {
                    "name": ns,
                    "uid": uuid::Uuid::new_v4().to_string(),
                    "creationTimestamp": now_seconds(),
                    "labels": {"kubernetes.io/metadata.name": ns},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            store.insert(Kind::Namespace, "", obj);
        }
        store
    }

    /// How many objects of `kind` were ever created (deleted ones included).
    pub fn created(&self, kind: Kind) -> usize {
        self.added.get(&kind).copied().unwrap_or(0)
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(kind, ns.to_string(), name.to_string()))
    }

    /// Objects of a kind, in one namespace or (None) all, ordered by namespace and name.
    pub fn list(&self, kind: Kind, ns: Option<&str>) -> Vec<&Value> {
        self.objects
            .range((kind, String::new(), String::new())..)
            .take_while(|((k, _, _), _)| *k == kind)
            .filter(|((_, n, _), _)| ns.is_none_or(|want| want == n))
            .map(|(_, v)| v)
            .collect()
    }

    fn record(&mut self, kind: Kind, ns: &str, change: &'static str, object: Value) {
        self.events.push_back(Arc::new(Event {
            rv: self.rv,
            kind,
            namespace: ns.to_string(),
            kind_of_change: change,
            object,
        }));
        while self.events.len() > EVENT_HISTORY {
            self.events.pop_front();
        }
    }

    fn stamp(&mut self, obj: &mut Value) {
        self.rv += 1;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
    }

    /// Stores a new object (or replaces one), recording ADDED or MODIFIED; returns it as
    /// stored.
    pub fn insert(&mut self, kind: Kind, ns: &str, mut obj: Value) -> Value {
        self.stamp(&mut obj);
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let key = (kind, ns.to_string(), name);
        let change = if self.objects.contains_key(&key) {
            "MODIFIED"
        } else {
            *self.added.entry(kind).or_default() += 1;
            "ADDED"
        };
        self.objects.insert(key, obj.clone());
        self.record(kind, ns, change, obj.clone());
        obj
    }

    /// Removes an object, recording DELETED with `last` (the object as last seen, e.g.
    /// with deletionTimestamp) under a new resourceVersion.
    pub fn remove(&mut self, kind: Kind, ns: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .remove(&(kind, ns.to_string(), name.to_string()))?;
        self.stamp(&mut obj);
        self.record(kind, ns, "DELETED", obj.clone());
        if kind == Kind::Pod {
            self.logs.retain(|(n, p, _), _| !(n == ns && p == name));
        }
        Some(obj)
    }

    /// Events after `rv`, or Err(oldest kept) when `rv` is older than the history.
    pub fn events_after(&self, rv: u64) -> Result<Vec<Arc<Event>>, u64> {
        let oldest = self.events.front().map(|e| e.rv).unwrap_or(self.rv + 1);
        if rv + 1 < oldest {
            return Err(oldest);
        }
        let start = self.events.partition_point(|e| e.rv <= rv);
        Ok(self.events.range(start..).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(name: &str) -> Value {
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name}})
    }

    #[test]
    fn every_write_gets_a_new_resource_version_and_an_event() {
        let mut s = Store::new();
        let start = s.resource_version();
        let a = s.insert(Kind::ConfigMap, "default", cm("a"));
        assert_eq!(a["metadata"]["resourceVersion"], (start + 1).to_string());
        s.insert(Kind::ConfigMap, "default", cm("a"));
        s.remove(Kind::ConfigMap, "default", "a").unwrap();
        let evs = s.events_after(start).unwrap();
        let changes: Vec<_> = evs.iter().map(|e| e.kind_of_change).collect();
        assert_eq!(changes, ["ADDED", "MODIFIED", "DELETED"]);
        assert_eq!(evs[2].rv, start + 3);
        assert!(s.events_after(start + 3).unwrap().is_empty());
        assert!(s.get(Kind::ConfigMap, "default", "a").is_none());
    }

    #[test]
    fn lists_by_namespace() {
        let mut s = Store::new();
        s.insert(Kind::ConfigMap, "default", cm("b"));
        s.insert(Kind::ConfigMap, "kube-system", cm("a"));
        assert_eq!(s.list(Kind::ConfigMap, Some("default")).len(), 1);
        assert_eq!(s.list(Kind::ConfigMap, None).len(), 2);
        assert_eq!(s.list(Kind::Namespace, None).len(), 4);
        assert!(s.list(Kind::Job, None).is_empty());
    }
}
