//! The Kubernetes manifests in `deploy/k8s/` (the scale-out path, see its README), judged without
//! a cluster. Each judgement reads every resource `kustomization.yaml` lists and returns its
//! problems, each naming the file, the resource and the field. The real manifests break none;
//! each folder of `fixtures/k8s/` is `deploy/k8s/` with the files it holds swapped in, and
//! breaks exactly the judgement its entry in [`BROKEN`] names.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::Command;

mod util;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use stackproof::policy::yaml;
use stackproof::repo;

const MANIFESTS: &str = "deploy/k8s";
const FIXTURES: &str = "fixtures/k8s";
/// The Deployment and container running the app, named after compose.prod.yml's service.
const APP: &str = "app";
/// The session secret, created by hand (deploy/k8s/README.md) and never in the manifests.
const OUT_OF_BAND_SECRET: &str = "stockapp-secret-key";
const HOSTNAME: &str = "kubernetes.io/hostname";

/// The kinds these manifests may use, each at the API version they are written for.
const KNOWN_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
];

/// One object of a manifest file.
struct Resource {
    file: String,
    kind: String,
    name: String,
    body: Value,
}

/// What compose.prod.yml runs as its app service.
struct ComposeApp {
    image: String,
    port: u64,
}

/// What the judgements see: the objects that loaded, why the others did not, and the compose app.
struct Manifests {
    resources: Vec<Resource>,
    load_problems: Vec<String>,
    compose: ComposeApp,
}

type Judgement = fn(&Manifests) -> Vec<String>;

macro_rules! named {
    ($($judgement:ident),+ $(,)?) => { &[$((stringify!($judgement), $judgement as Judgement)),+] };
}

/// Every judgement, by name.
const JUDGEMENTS: &[(&str, Judgement)] = named![
    resource_files_load_with_known_kinds,
    autoscaler_targets_a_deployment_it_can_measure,
    pods_are_hardened,
    app_probes_port_and_image_match_compose,
    references_resolve,
    sqlite_volume_keeps_its_pods_on_one_node,
];

/// Each broken fixture, the one judgement it must fail, and words that judgement must say.
const BROKEN: &[(&str, &str, &str)] = &[
    ("resource-file-missing", "resource_files_load_with_known_kinds", "resources lists ingres.yaml"),
    ("unknown-kind", "resource_files_load_with_known_kinds", "v1/Namespce is not a known kind"),
    ("hpa-target-missing", "autoscaler_targets_a_deployment_it_can_measure", "names Deployment/web"),
    ("no-cpu-request", "autoscaler_targets_a_deployment_it_can_measure", "containers[app].resources.requests.cpu"),
    ("migrate-as-root", "pods_are_hardened", "containers[migrate].securityContext.runAsUser is 0"),
    ("readiness-wrong-path", "app_probes_port_and_image_match_compose", "readinessProbe.httpGet.path is \"/ready\""),
    ("image-not-compose", "app_probes_port_and_image_match_compose", "image is \"stackproof/app:latest\""),
    ("mount-without-volume", "references_resolve", "volumeMounts[tmp] names no volume"),
    ("secret-misnamed", "references_resolve", "names Secret/stockapp-secret,"),
    ("pvc-read-write-many", "sqlite_volume_keeps_its_pods_on_one_node", "spec.accessModes is [\"ReadWriteMany\"]"),
    (
        "migrate-without-affinity",
        "sqlite_volume_keeps_its_pods_on_one_node",
        "Job/migrate: spec.template.spec.affinity",
    ),
    ("migrate-database-on-emptydir", "sqlite_volume_keeps_its_pods_on_one_node", "is not on a PersistentVolumeClaim"),
    ("database-split-over-claims", "sqlite_volume_keeps_its_pods_on_one_node", "is on claim db; the database is split"),
];

// --- loading ---

/// The files `kustomization.yaml` lists, as (listed name, path): a fixture's file where it has
/// one, else the real one.
fn resource_files(fixture: Option<&str>) -> Result<Vec<(String, PathBuf)>> {
    let kustomization = yaml::load(&source(fixture, "kustomization.yaml"))?;
    let listed = kustomization["resources"].as_array().context("kustomization.yaml has no resources list")?;
    listed
        .iter()
        .map(|entry| {
            let name =
                entry.as_str().with_context(|| format!("kustomization.yaml: resource {entry} is not a file name"))?;
            Ok((name.to_owned(), source(fixture, name)))
        })
        .collect()
}

fn source(fixture: Option<&str>, name: &str) -> PathBuf {
    fixture
        .map(|dir| repo::path(FIXTURES).join(dir).join(name))
        .filter(|path| path.exists())
        .unwrap_or_else(|| repo::path(MANIFESTS).join(name))
}

/// Loads every listed file; one that is missing or unparsable becomes a load problem.
fn load(fixture: Option<&str>) -> Result<Manifests> {
    let mut manifests = Manifests { resources: Vec::new(), load_problems: Vec::new(), compose: compose_app()? };
    for (name, path) in resource_files(fixture)? {
        match resources_in(&name, &path) {
            Ok(found) => manifests.resources.extend(found),
            Err(error) => {
                manifests.load_problems.push(format!("kustomization.yaml: resources lists {name}: {error:#}"))
            }
        }
    }
    Ok(manifests)
}

fn resources_in(name: &str, path: &Path) -> Result<Vec<Resource>> {
    let text = std::fs::read_to_string(path).context("cannot be read")?;
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).context("is not valid YAML")?;
    Ok(documents
        .into_iter()
        .map(|body| Resource {
            file: name.to_owned(),
            kind: body["kind"].as_str().unwrap_or_default().to_owned(),
            name: body["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
            body,
        })
        .collect())
}

/// The app service of compose.prod.yml. Its port is gunicorn's bind: `GUNICORN_BIND` in the
/// service's environment, else the default app/gunicorn.conf.py gives it.
fn compose_app() -> Result<ComposeApp> {
    let compose = yaml::load(&repo::path("compose.prod.yml"))?;
    let app = &compose["services"][APP];
    let image = app["image"].as_str().context("compose.prod.yml: services.app.image is not set")?;
    let environment = &app["environment"];
    ensure!(!environment.is_array(), "compose.prod.yml: services.app.environment is a list; this test reads a mapping");
    let bind = match environment["GUNICORN_BIND"].as_str() {
        Some(bind) => bind.to_owned(),
        None => gunicorn_default_bind()?,
    };
    let port = bind.rsplit_once(':').and_then(|(_, port)| port.parse().ok());
    Ok(ComposeApp {
        image: image.to_owned(),
        port: port.with_context(|| format!("gunicorn bind {bind:?} has no port"))?,
    })
}

fn gunicorn_default_bind() -> Result<String> {
    let path = repo::path("app/gunicorn.conf.py");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("bind = os.environ.get(\"GUNICORN_BIND\", \"")?.split('"').next())
        .map(str::to_owned)
        .with_context(|| format!("{}: no `bind = os.environ.get(\"GUNICORN_BIND\", \"...\")` line", path.display()))
}

// --- reading resources ---

fn problem(resource: &Resource, field: &str, what: impl Display) -> String {
    format!("{}: {}/{}: {field} {what}", resource.file, resource.kind, resource.name)
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn of_kind<'a>(manifests: &'a Manifests, kind: &'a str) -> impl Iterator<Item = &'a Resource> {
    manifests.resources.iter().filter(move |r| r.kind == kind)
}

fn find<'a>(manifests: &'a Manifests, kind: &'a str, name: &str) -> Option<&'a Resource> {
    of_kind(manifests, kind).find(|r| r.name == name)
}

/// The resources that run pods.
fn workloads(manifests: &Manifests) -> impl Iterator<Item = &Resource> {
    manifests.resources.iter().filter(|r| r.kind == "Deployment" || r.kind == "Job")
}

fn pod_spec(workload: &Resource) -> &Value {
    &workload.body["spec"]["template"]["spec"]
}

/// The containers of one of a pod's container lists, each with its field path.
fn containers_in<'a>(workload: &'a Resource, list_name: &str) -> Vec<(String, &'a Value)> {
    list(&pod_spec(workload)[list_name])
        .iter()
        .map(|c| (format!("spec.template.spec.{list_name}[{}]", c["name"].as_str().unwrap_or("?")), c))
        .collect()
}

fn all_containers(workload: &Resource) -> Vec<(String, &Value)> {
    [containers_in(workload, "initContainers"), containers_in(workload, "containers")].concat()
}

// --- judgements ---

/// Every file `kustomization.yaml` lists exists and parses, and holds only known kinds at the
/// API version these manifests are written for.
fn resource_files_load_with_known_kinds(manifests: &Manifests) -> Vec<String> {
    let unknown = manifests.resources.iter().filter_map(|r| {
        let api_version = r.body["apiVersion"].as_str().unwrap_or_default();
        let known = KNOWN_KINDS.contains(&(api_version, r.kind.as_str()));
        (!known).then(|| problem(r, "apiVersion/kind", format!("{api_version}/{} is not a known kind", r.kind)))
    });
    manifests.load_problems.iter().cloned().chain(unknown).collect()
}

/// There is an HPA; it scales a Deployment of the manifests between at least 2 and more
/// replicas; every container of that Deployment requests CPU explicitly (utilisation is a share
/// of the request: without one the HPA cannot compute it, and a limit alone would stand in).
fn autoscaler_targets_a_deployment_it_can_measure(manifests: &Manifests) -> Vec<String> {
    let hpas: Vec<&Resource> = of_kind(manifests, "HorizontalPodAutoscaler").collect();
    if hpas.is_empty() {
        return vec!["kustomization.yaml: no HorizontalPodAutoscaler among the resources".to_owned()];
    }
    hpas.into_iter().flat_map(|hpa| autoscaler_problems(manifests, hpa)).collect()
}

fn autoscaler_problems(manifests: &Manifests, hpa: &Resource) -> Vec<String> {
    let spec = &hpa.body["spec"];
    let (min, max) = (spec["minReplicas"].as_u64().unwrap_or(1), spec["maxReplicas"].as_u64().unwrap_or(0));
    let mut problems = Vec::new();
    if min < 2 {
        problems.push(problem(hpa, "spec.minReplicas", format!("is {min}, below 2")));
    }
    if max <= min {
        problems.push(problem(hpa, "spec.maxReplicas", format!("is {max}, not above minReplicas {min}")));
    }
    let target = &spec["scaleTargetRef"];
    let name = target["name"].as_str().unwrap_or_default();
    let Some(deployment) = find(manifests, "Deployment", name).filter(|_| target["kind"] == "Deployment") else {
        let kind = target["kind"].as_str().unwrap_or("?");
        problems.push(problem(
            hpa,
            "spec.scaleTargetRef",
            format!("names {kind}/{name}, which is not in the manifests"),
        ));
        return problems;
    };
    let unmeasured = containers_in(deployment, "containers")
        .into_iter()
        .filter(|(_, c)| c["resources"]["requests"]["cpu"].is_null());
    problems.extend(unmeasured.map(|(field, _)| {
        problem(
            deployment,
            &format!("{field}.resources.requests.cpu"),
            format!("is not set: HorizontalPodAutoscaler/{} cannot compute CPU utilisation", hpa.name),
        )
    }));
    problems
}

/// Every container of every pod runs as non-root, with a read-only root filesystem, no
/// privilege escalation, no capabilities, the runtime's seccomp profile, and CPU and memory
/// limits. Pod-level settings count where Kubernetes applies them to containers.
fn pods_are_hardened(manifests: &Manifests) -> Vec<String> {
    workloads(manifests)
        .flat_map(|workload| {
            all_containers(workload).into_iter().flat_map(move |(field, container)| {
                hardening_gaps(container, pod_spec(workload))
                    .into_iter()
                    .map(move |(setting, what)| problem(workload, &format!("{field}.{setting}"), what))
            })
        })
        .collect()
}

/// (setting, what is wrong with it) for each hardening rule `container` breaks.
fn hardening_gaps(container: &Value, pod: &Value) -> Vec<(&'static str, &'static str)> {
    let own = &container["securityContext"];
    let effective = |key: &str| if own[key].is_null() { &pod["securityContext"][key] } else { &own[key] };
    let drops_all = list(&own["capabilities"]["drop"]).iter().any(|c| c == "ALL");
    let checks = [
        ("securityContext.runAsNonRoot", *effective("runAsNonRoot") != true, "is not true"),
        ("securityContext.runAsUser", effective("runAsUser").as_u64() == Some(0), "is 0 (root)"),
        ("securityContext.readOnlyRootFilesystem", own["readOnlyRootFilesystem"] != true, "is not true"),
        ("securityContext.allowPrivilegeEscalation", own["allowPrivilegeEscalation"] != false, "is not false"),
        ("securityContext.privileged", own["privileged"] == true, "is true"),
        ("securityContext.capabilities.drop", !drops_all, "does not hold ALL"),
        ("securityContext.capabilities.add", !list(&own["capabilities"]["add"]).is_empty(), "is not empty"),
        (
            "securityContext.seccompProfile.type",
            effective("seccompProfile")["type"] != "RuntimeDefault",
            "is not RuntimeDefault",
        ),
        ("resources.limits.cpu", container["resources"]["limits"]["cpu"].is_null(), "is not set"),
        ("resources.limits.memory", container["resources"]["limits"]["memory"].is_null(), "is not set"),
    ];
    checks.into_iter().filter(|(_, broken, _)| *broken).map(|(setting, _, what)| (setting, what)).collect()
}

/// The app container runs compose.prod.yml's app image, exposes the port gunicorn binds there,
/// and its probes ask that port: startup and liveness /healthz, readiness /readyz.
fn app_probes_port_and_image_match_compose(manifests: &Manifests) -> Vec<String> {
    let Some(deployment) = find(manifests, "Deployment", APP) else {
        return vec![format!("kustomization.yaml: no Deployment/{APP} among the resources")];
    };
    let Some((field, container)) = containers_in(deployment, "containers").into_iter().find(|(_, c)| c["name"] == APP)
    else {
        return vec![problem(deployment, "spec.template.spec.containers", format!("has no container named {APP}"))];
    };
    let compose = &manifests.compose;
    let mut problems = Vec::new();
    if container["image"] != compose.image.as_str() {
        problems.push(problem(
            deployment,
            &format!("{field}.image"),
            format!("is {}, not compose.prod.yml's {}", container["image"], compose.image),
        ));
    }
    if !list(&container["ports"]).iter().any(|p| p["containerPort"] == compose.port) {
        problems.push(problem(
            deployment,
            &format!("{field}.ports"),
            format!("have no containerPort {}, gunicorn's port", compose.port),
        ));
    }
    for (probe, path) in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        let at = format!("{field}.{probe}.httpGet");
        if get["path"] != path {
            problems.push(problem(deployment, &format!("{at}.path"), format!("is {}, not {path}", get["path"])));
        }
        if container_port(container, &get["port"]) != Some(compose.port) {
            problems.push(problem(
                deployment,
                &format!("{at}.port"),
                format!("is {}, not gunicorn's port {}", get["port"], compose.port),
            ));
        }
    }
    problems
}

/// A probe's port as a number: given as one, or as the name of one of the container's ports.
fn container_port(container: &Value, port: &Value) -> Option<u64> {
    port.as_u64().or_else(|| {
        let named = list(&container["ports"]).iter().find(|p| p["name"] == *port)?;
        named["containerPort"].as_u64()
    })
}

/// Every volumeMount names a volume of its pod; every Secret and PersistentVolumeClaim a pod
/// refers to (volumes, env, envFrom) is in the manifests or is the out-of-band session secret.
fn references_resolve(manifests: &Manifests) -> Vec<String> {
    let names = |kind| of_kind(manifests, kind).map(|r| r.name.as_str());
    let secrets: BTreeSet<&str> = names("Secret").chain([OUT_OF_BAND_SECRET]).collect();
    let claims: BTreeSet<&str> = names("PersistentVolumeClaim").collect();
    let mut problems = Vec::new();
    for workload in workloads(manifests) {
        problems.extend(dangling_mounts(workload));
        for (field, kind, name) in named_references(workload) {
            let known = if kind == "Secret" { &secrets } else { &claims };
            if !known.contains(name) {
                problems.push(problem(
                    workload,
                    &field,
                    format!("names {kind}/{name}, which is neither in the manifests nor {OUT_OF_BAND_SECRET}"),
                ));
            }
        }
    }
    problems
}

fn dangling_mounts(workload: &Resource) -> Vec<String> {
    let volumes: BTreeSet<&str> =
        list(&pod_spec(workload)["volumes"]).iter().filter_map(|v| v["name"].as_str()).collect();
    all_containers(workload)
        .into_iter()
        .flat_map(|(field, container)| {
            list(&container["volumeMounts"])
                .iter()
                .filter_map(|m| m["name"].as_str())
                .filter(|name| !volumes.contains(name))
                .map(move |name| {
                    problem(workload, &format!("{field}.volumeMounts[{name}]"), "names no volume of this pod")
                })
        })
        .collect()
}

/// (field, kind, name) of every Secret and PersistentVolumeClaim a workload's pod refers to.
fn named_references(workload: &Resource) -> Vec<(String, &'static str, &str)> {
    let mut found = Vec::new();
    for volume in list(&pod_spec(workload)["volumes"]) {
        let at = format!("spec.template.spec.volumes[{}]", volume["name"].as_str().unwrap_or("?"));
        if let Some(name) = volume["secret"]["secretName"].as_str() {
            found.push((format!("{at}.secret.secretName"), "Secret", name));
        }
        if let Some(name) = volume["persistentVolumeClaim"]["claimName"].as_str() {
            found.push((format!("{at}.persistentVolumeClaim.claimName"), "PersistentVolumeClaim", name));
        }
    }
    for (field, container) in all_containers(workload) {
        let env = list(&container["env"])
            .iter()
            .map(|e| (e["name"].as_str().unwrap_or("?"), &e["valueFrom"]["secretKeyRef"]));
        for (variable, reference) in env {
            found.extend(
                reference["name"]
                    .as_str()
                    .map(|name| (format!("{field}.env[{variable}].valueFrom.secretKeyRef"), "Secret", name)),
            );
        }
        for source in list(&container["envFrom"]) {
            found.extend(
                source["secretRef"]["name"].as_str().map(|name| (format!("{field}.envFrom.secretRef"), "Secret", name)),
            );
        }
    }
    found
}

/// SQLite's constraint. Every PVC is ReadWriteOnce (one node's block volume: SQLite's locks do
/// not hold on network filesystems); every container given STOCKAPP_DATABASE opens it from one
/// and the same claim; and every pod mounting a claim requires (podAffinity on the node's
/// hostname) to run beside every pod mounting it. The selector matches the pod itself too, which
/// is what lets the scheduler place the first one anywhere.
fn sqlite_volume_keeps_its_pods_on_one_node(manifests: &Manifests) -> Vec<String> {
    let read_write_once = json!(["ReadWriteOnce"]);
    let shared =
        of_kind(manifests, "PersistentVolumeClaim").filter(|pvc| pvc.body["spec"]["accessModes"] != read_write_once);
    let mut problems: Vec<String> = shared
        .map(|pvc| {
            problem(pvc, "spec.accessModes", format!("is {}, not [ReadWriteOnce]", pvc.body["spec"]["accessModes"]))
        })
        .collect();
    problems.extend(database_claim_problems(manifests));
    problems.extend(affinity_problems(manifests));
    problems
}

fn claims_of(workload: &Resource) -> BTreeSet<&str> {
    list(&pod_spec(workload)["volumes"])
        .iter()
        .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
        .collect()
}

/// Containers whose database directory is not on a claim, or on another claim than the rest's.
fn database_claim_problems(manifests: &Manifests) -> Vec<String> {
    let mut openers = Vec::new();
    let mut problems = Vec::new();
    for workload in workloads(manifests) {
        for (field, container) in all_containers(workload) {
            let Some(database) = env_value(container, "STOCKAPP_DATABASE") else { continue };
            let at = format!("{field}.env[STOCKAPP_DATABASE]");
            match claim_holding(workload, container, Path::new(database)) {
                Some(claim) => openers.push((workload, at, claim)),
                None => problems.push(problem(workload, &at, format!("{database} is not on a PersistentVolumeClaim"))),
            }
        }
    }
    let claims: BTreeSet<&str> = openers.iter().map(|(_, _, claim)| *claim).collect();
    if claims.len() > 1 {
        problems.extend(openers.iter().map(|(workload, at, claim)| {
            problem(workload, at, format!("is on claim {claim}; the database is split over {claims:?}"))
        }));
    }
    problems
}

fn env_value<'a>(container: &'a Value, variable: &str) -> Option<&'a str> {
    list(&container["env"]).iter().find(|e| e["name"] == variable)?["value"].as_str()
}

/// The claim of the volume mounted at `path`'s directory or above it, if that volume is a claim.
fn claim_holding<'a>(workload: &'a Resource, container: &Value, path: &Path) -> Option<&'a str> {
    let mount = list(&container["volumeMounts"])
        .iter()
        .filter(|m| m["mountPath"].as_str().is_some_and(|dir| path.starts_with(dir)))
        .max_by_key(|m| m["mountPath"].as_str().map_or(0, str::len))?;
    let volume = list(&pod_spec(workload)["volumes"]).iter().find(|v| v["name"] == mount["name"])?;
    volume["persistentVolumeClaim"]["claimName"].as_str()
}

fn affinity_problems(manifests: &Manifests) -> Vec<String> {
    let claims: BTreeSet<&str> = workloads(manifests).flat_map(claims_of).collect();
    let mut problems = Vec::new();
    for claim in claims {
        let sharers: Vec<&Resource> = workloads(manifests).filter(|w| claims_of(w).contains(claim)).collect();
        let names: Vec<String> = sharers.iter().map(|w| format!("{}/{}", w.kind, w.name)).collect();
        for workload in sharers.iter().filter(|w| !requires_node_of_all(w, &sharers)) {
            let field = "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution";
            problems.push(problem(
                workload,
                field,
                format!("has no {HOSTNAME} term selecting every pod of claim {claim} ({})", names.join(", ")),
            ));
        }
    }
    problems
}

/// Whether `workload`'s pods require a node running pods labelled like each of `sharers`'.
fn requires_node_of_all(workload: &Resource, sharers: &[&Resource]) -> bool {
    let terms = list(&pod_spec(workload)["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]);
    terms.iter().filter(|term| term["topologyKey"] == HOSTNAME).filter_map(own_namespace_labels).any(|wanted| {
        sharers.iter().all(|sharer| {
            let labels = &sharer.body["spec"]["template"]["metadata"]["labels"];
            wanted.iter().all(|(key, value)| labels[key] == *value)
        })
    })
}

/// The labels an affinity term selects by, when it selects by `matchLabels` alone in the pod's
/// own namespace (the only form judged here).
fn own_namespace_labels(term: &Value) -> Option<&serde_json::Map<String, Value>> {
    let selector = &term["labelSelector"];
    let plain =
        selector["matchExpressions"].is_null() && term["namespaces"].is_null() && term["namespaceSelector"].is_null();
    selector["matchLabels"].as_object().filter(|labels| plain && !labels.is_empty())
}

// --- tests ---

fn judge_all(manifests: &Manifests) -> Vec<(&'static str, Vec<String>)> {
    JUDGEMENTS.iter().map(|(name, judge)| (*name, judge(manifests))).collect()
}

#[test]
fn the_manifests_pass_every_judgement() -> Result<()> {
    let manifests = load(None)?;
    for (_, kind) in KNOWN_KINDS.iter().filter(|(_, kind)| *kind != "Secret") {
        ensure!(of_kind(&manifests, kind).next().is_some(), "{MANIFESTS} holds no {kind}");
    }
    let problems: Vec<String> = judge_all(&manifests).into_iter().flat_map(|(_, found)| found).collect();
    ensure!(problems.is_empty(), "{MANIFESTS} breaks its rules:\n{}", problems.join("\n"));
    Ok(())
}

#[test]
fn each_broken_fixture_fails_exactly_its_judgement() -> Result<()> {
    let mut wrong = Vec::new();
    for &(fixture, expected, says) in BROKEN {
        let manifests = load(Some(fixture)).with_context(|| format!("fixture {fixture}"))?;
        for (name, problems) in judge_all(&manifests) {
            match (name == expected, problems.iter().any(|p| p.contains(says))) {
                (true, true) => println!("{fixture}: {name}:\n  {}", problems.join("\n  ")),
                (true, false) => wrong.push(format!("{fixture}: {name} does not say {says:?}: {problems:#?}")),
                (false, _) if !problems.is_empty() => {
                    wrong.push(format!("{fixture} also breaks {name}: {problems:#?}"))
                }
                (false, _) => {}
            }
        }
    }
    ensure!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

#[test]
fn every_judgement_is_shown_failing_by_a_fixture() {
    for (name, _) in JUDGEMENTS {
        assert!(BROKEN.iter().any(|(_, judgement, _)| judgement == name), "no fixture breaks {name}");
    }
}

/// A fixture file without a namesake in deploy/k8s would be silently ignored.
#[test]
fn every_fixture_folder_is_a_case_of_files_swapped_into_the_manifests() -> Result<()> {
    for entry in std::fs::read_dir(repo::path(FIXTURES)).context("cannot list fixtures/k8s")? {
        let folder = entry?.path();
        let case = folder.file_name().unwrap_or_default().to_string_lossy().into_owned();
        ensure!(BROKEN.iter().any(|(fixture, _, _)| *fixture == case), "{FIXTURES}/{case} is in no BROKEN entry");
        for file in std::fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))? {
            let name = file?.file_name();
            ensure!(
                repo::path(MANIFESTS).join(&name).is_file(),
                "{FIXTURES}/{case}/{} replaces no file of {MANIFESTS}",
                name.to_string_lossy()
            );
        }
    }
    Ok(())
}

/// An outside opinion: kubernetes-validate (PyPI; Kubernetes' own schemas, bundled, offline;
/// installed by `ci/prepare.sh`) accepts every resource file, strictly (no unknown fields).
#[test]
fn kubernetes_validate_accepts_every_resource_file() -> Result<()> {
    const TEST: &str = "kubernetes_validate_accepts_every_resource_file";
    let version = Command::new("python3").args(["-m", "kubernetes_validate", "--version"]).output();
    let missing = match version {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!("python3 -m kubernetes_validate fails (run ci/prepare.sh): {}", String::from_utf8_lossy(&output.stderr).trim())),
        Err(error) => Some(format!("python3 cannot run: {error}")),
    };
    if !util::tool_or_skip(TEST, missing) {
        return Ok(());
    }
    let files: Vec<PathBuf> = resource_files(None)?.into_iter().map(|(_, path)| path).collect();
    let output = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict", "--quiet"])
        .args(&files)
        .output()
        .context("cannot run python3 -m kubernetes_validate")?;
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    ensure!(output.status.success(), "kubernetes-validate rejects {MANIFESTS}:\n{said}");
    Ok(())
}
