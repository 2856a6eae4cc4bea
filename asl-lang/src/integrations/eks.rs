//! Amazon EKS: the control-plane APIs (through the EKS API) and the Kubernetes API
//! of a cluster (`eks:runJob`, `eks:call`). Request fields follow the EKS API
//! reference, in the PascalCase Step Functions takes.

use super::{Field, Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);
const N: Shape = Shape::Value(Type::Number);
const B: Shape = Shape::Value(Type::Boolean);
const SL: Shape = Shape::Value(Type::StringList);

const CONTROL_PLANE: &[Pattern] = &[Pattern::RequestResponse, Pattern::Sync];
const CONTROL_PLANE_RESULT: &str = "the EKS API response with every key PascalCased (user maps `Tags` and `Labels` keep their keys): `{\"Cluster\": {...}}`, `{\"Nodegroup\": {...}}`, `{\"FargateProfile\": {...}}`; with .sync, the last description once ACTIVE (create) or the delete's own answer once gone (delete)";
const CONTROL_PLANE_ERRORS: &[&str] = &["States.TaskFailed", "States.Runtime"];

const fn control_plane(
    name: &'static str,
    request: &'static [Field],
    statements: &'static [IamStatement],
    pass_role_fields: &'static [&'static str],
) -> Spec {
    Spec {
        name,
        feature: "eks",
        patterns: CONTROL_PLANE,
        request,
        one_of: &[],
        result: CONTROL_PLANE_RESULT,
        error_prefix: "EKS",
        errors: CONTROL_PLANE_ERRORS,
        iam: Iam {
            statements,
            pass_role_fields,
            passed_to_service: if pass_role_fields.is_empty() {
                None
            } else {
                Some("eks.amazonaws.com")
            },
        },
    }
}

/// A statement for every pattern.
const fn statement(
    actions: &'static [&'static str],
    resource: &'static [&'static str],
) -> IamStatement {
    IamStatement {
        actions,
        resource,
        patterns: &[],
    }
}

pub(super) static CREATE_CLUSTER: Spec = control_plane(
    "eks:createCluster",
    &[
        req("Name", S),
        opt("Version", S),
        req("RoleArn", S),
        req(
            "ResourcesVpcConfig",
            Shape::Object(&[
                opt("SubnetIds", SL),
                opt("SecurityGroupIds", SL),
                opt("EndpointPublicAccess", B),
                opt("EndpointPrivateAccess", B),
                opt("PublicAccessCidrs", SL),
                opt("ControlPlaneEgressMode", S),
            ]),
        ),
        opt(
            "KubernetesNetworkConfig",
            Shape::Object(&[
                opt("ServiceIpv4Cidr", S),
                opt("IpFamily", S),
                opt("ElasticLoadBalancing", Shape::Open),
            ]),
        ),
        opt(
            "Logging",
            Shape::Object(&[opt(
                "ClusterLogging",
                Shape::List(&[opt("Types", SL), opt("Enabled", B)]),
            )]),
        ),
        opt("ClientRequestToken", S),
        opt("Tags", Shape::Map),
        opt(
            "EncryptionConfig",
            Shape::List(&[
                opt("Resources", SL),
                opt("Provider", Shape::Object(&[opt("KeyArn", S)])),
            ]),
        ),
        opt(
            "OutpostConfig",
            Shape::Object(&[
                opt("OutpostArns", SL),
                opt("ControlPlaneInstanceType", S),
                opt(
                    "ControlPlanePlacement",
                    Shape::Object(&[opt("GroupName", S), opt("SpreadLevel", S)]),
                ),
                opt("EtcdInstanceType", S),
                opt("EtcdPlacement", Shape::Open),
            ]),
        ),
        opt(
            "AccessConfig",
            Shape::Object(&[
                opt("BootstrapClusterCreatorAdminPermissions", B),
                opt("AuthenticationMode", S),
            ]),
        ),
        opt("BootstrapSelfManagedAddons", B),
        opt("UpgradePolicy", Shape::Object(&[opt("SupportType", S)])),
        opt("ZonalShiftConfig", Shape::Object(&[opt("Enabled", B)])),
        opt(
            "RemoteNetworkConfig",
            Shape::Object(&[
                opt("RemoteNodeNetworks", Shape::List(&[opt("Cidrs", SL)])),
                opt("RemotePodNetworks", Shape::List(&[opt("Cidrs", SL)])),
            ]),
        ),
        opt(
            "ComputeConfig",
            Shape::Object(&[
                opt("Enabled", B),
                opt("NodePools", SL),
                opt("NodeRoleArn", S),
            ]),
        ),
        opt(
            "StorageConfig",
            Shape::Object(&[opt("BlockStorage", Shape::Object(&[opt("Enabled", B)]))]),
        ),
        opt("DeletionProtection", B),
        opt(
            "ControlPlaneScalingConfig",
            Shape::Object(&[opt("Tier", S)]),
        ),
        opt("KubeApiServerConfig", Shape::Open),
        opt("KubeControllerManagerConfig", Shape::Open),
        opt("KubeSchedulerConfig", Shape::Open),
    ],
    // AWS's "IAM policies for Amazon EKS", CreateCluster.
    &[
        statement(&["eks:CreateCluster"], &["*"]),
        statement(
            &["eks:DescribeCluster", "eks:DeleteCluster"],
            &["arn:{partition}:eks:{region}:{account}:cluster/*"],
        ),
    ],
    &["RoleArn"],
);

pub(super) static DELETE_CLUSTER: Spec = control_plane(
    "eks:deleteCluster",
    &[req("Name", S)],
    // AWS's "IAM policies for Amazon EKS", DeleteCluster.
    &[statement(
        &["eks:DeleteCluster", "eks:DescribeCluster"],
        &["arn:{partition}:eks:{region}:{account}:cluster/{Name}"],
    )],
    &[],
);

pub(super) static CREATE_NODEGROUP: Spec = control_plane(
    "eks:createNodegroup",
    &[
        req("ClusterName", S),
        req("NodegroupName", S),
        opt(
            "ScalingConfig",
            Shape::Object(&[opt("MinSize", N), opt("MaxSize", N), opt("DesiredSize", N)]),
        ),
        opt("DiskSize", N),
        req("Subnets", SL),
        opt("InstanceTypes", SL),
        opt("AmiType", S),
        opt(
            "RemoteAccess",
            Shape::Object(&[opt("Ec2SshKey", S), opt("SourceSecurityGroups", SL)]),
        ),
        req("NodeRole", S),
        opt("Labels", Shape::Map),
        opt(
            "Taints",
            Shape::List(&[opt("Key", S), opt("Value", S), opt("Effect", S)]),
        ),
        opt("Tags", Shape::Map),
        opt("ClientRequestToken", S),
        opt(
            "LaunchTemplate",
            Shape::Object(&[opt("Name", S), opt("Version", S), opt("Id", S)]),
        ),
        opt(
            "UpdateConfig",
            Shape::Object(&[
                opt("MaxUnavailable", N),
                opt("MaxUnavailablePercentage", N),
                opt("UpdateStrategy", S),
            ]),
        ),
        opt("NodeRepairConfig", Shape::Open),
        opt("CapacityType", S),
        opt("Version", S),
        opt("ReleaseVersion", S),
        opt("WarmPoolConfig", Shape::Open),
    ],
    // AWS's "IAM policies for Amazon EKS", CreateNodeGroup.
    &[
        statement(&["ec2:DescribeSubnets", "eks:CreateNodegroup"], &["*"]),
        statement(
            &["eks:DescribeNodegroup", "eks:DeleteNodegroup"],
            &["arn:{partition}:eks:{region}:{account}:nodegroup/*"],
        ),
        statement(
            &["iam:GetRole", "iam:ListAttachedRolePolicies"],
            &["arn:{partition}:iam::{account}:role/*"],
        ),
    ],
    &["NodeRole"],
);

pub(super) static DELETE_NODEGROUP: Spec = control_plane(
    "eks:deleteNodegroup",
    &[req("ClusterName", S), req("NodegroupName", S)],
    // AWS's "IAM policies for Amazon EKS", DeleteNodegroup.
    &[statement(
        &["eks:DeleteNodegroup", "eks:DescribeNodegroup"],
        &["arn:{partition}:eks:{region}:{account}:nodegroup/{ClusterName}/{NodegroupName}/*"],
    )],
    &[],
);

pub(super) static CREATE_FARGATE_PROFILE: Spec = control_plane(
    "eks:createFargateProfile",
    &[
        req("ClusterName", S),
        req("FargateProfileName", S),
        req("PodExecutionRoleArn", S),
        opt("Subnets", SL),
        opt(
            "Selectors",
            Shape::List(&[opt("Namespace", S), opt("Labels", Shape::Map)]),
        ),
        opt("ClientRequestToken", S),
        opt("Tags", Shape::Map),
    ],
    // As CreateNodeGroup (AWS's page has no Fargate section).
    &[
        statement(&["eks:CreateFargateProfile"], &["*"]),
        statement(
            &["eks:DescribeFargateProfile", "eks:DeleteFargateProfile"],
            &["arn:{partition}:eks:{region}:{account}:fargateprofile/*"],
        ),
    ],
    &["PodExecutionRoleArn"],
);

pub(super) static DELETE_FARGATE_PROFILE: Spec = control_plane(
    "eks:deleteFargateProfile",
    &[req("ClusterName", S), req("FargateProfileName", S)],
    // As DeleteNodegroup (AWS's page has no Fargate section).
    &[statement(
        &["eks:DeleteFargateProfile", "eks:DescribeFargateProfile"],
        &[
            "arn:{partition}:eks:{region}:{account}:fargateprofile/{ClusterName}/{FargateProfileName}/*",
        ],
    )],
    &[],
);

/// Kubernetes calls are authorised by the cluster (its RBAC, for the IAM identity
/// the EKS token names), not by an IAM action of the state machine's role.
const KUBERNETES_IAM: Iam = Iam {
    statements: &[],
    pass_role_fields: &[],
    passed_to_service: None,
};

pub(super) static RUN_JOB: Spec = Spec {
    name: "eks:runJob",
    feature: "eks",
    patterns: CONTROL_PLANE,
    request: &[
        req("ClusterName", S),
        req("CertificateAuthority", S),
        req("Endpoint", S),
        opt("Namespace", S),
        req("Job", Shape::Value(Type::ObjectOrString)),
        opt(
            "LogOptions",
            Shape::Object(&[
                opt("RetrieveLogs", B),
                opt("RawLogs", B),
                opt("LogParameters", Shape::Value(Type::StringListMap)),
            ]),
        ),
    ],
    one_of: &[],
    result: "the created Job (plain); with .sync the Job once Complete or Failed, and with LogOptions.RetrieveLogs its pods' logs under `logs.pods.<pod>.containers.<container>.log`",
    error_prefix: "EKS",
    errors: &["States.TaskFailed", "States.Runtime"],
    iam: KUBERNETES_IAM,
};

/// The HTTP methods `eks:call` accepts.
pub const CALL_METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"];

pub(super) static CALL: Spec = Spec {
    name: "eks:call",
    feature: "eks",
    patterns: &[Pattern::RequestResponse],
    request: &[
        req("ClusterName", S),
        req("CertificateAuthority", S),
        req("Endpoint", S),
        req("Method", Shape::Value(Type::Enum(&CALL_METHODS))),
        req("Path", S),
        opt("QueryParameters", Shape::Value(Type::StringListMap)),
        opt("RequestBody", Shape::Value(Type::Any)),
    ],
    one_of: &[],
    result: "`{\"ResponseBody\": <JSON or text>, \"StatusCode\": n, \"StatusText\": \"...\", \"Headers\": {...}}`; an answer outside 2xx is the error `EKS.<status code>`",
    error_prefix: "EKS",
    errors: &["States.TaskFailed", "States.Runtime"],
    iam: KUBERNETES_IAM,
};
