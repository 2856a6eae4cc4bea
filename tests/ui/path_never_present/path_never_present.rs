// The reference sample with one typo in a path: `eks:createCluster.sync`
// (ResultPath `$.eks`) yields DescribeCluster's `{"Cluster": {...}}`, which
// has no `Endpont`. Without this check the execution would create a cluster
// and a node group (20 minutes) before failing at the Job. The build fails
// here first, before any feature of asl is asked for.
asl::asl!(Flow = "flow.asl.json");

fn main() {
    let _ = Flow::run;
}
