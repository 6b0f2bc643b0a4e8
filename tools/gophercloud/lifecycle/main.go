// Command lifecycle drives magnum-lite through gophercloud as Terraform's
// OpenStack provider and the cluster-autoscaler's Magnum provider do:
// templates, a cluster, its nodegroups, node discovery through the
// nodegroup's Heat stack (kube_minions and its refs_map), a resize that
// removes a named node, an upgrade and the delete.
//
// Built in GOPATH mode from Debian's packages (golang-go and
// golang-github-gophercloud-gophercloud-dev), no module download:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o lifecycle main.go
//
// Credentials come from the usual OS_* variables (password auth through
// the catalog); what to create from the flags. Progress goes to stderr;
// the findings, one JSON document on one line, to stdout before the
// delete, and a last line once the cluster is gone. Any failure exits 1.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack"
	"github.com/gophercloud/gophercloud/openstack/containerinfra/v1/clusters"
	"github.com/gophercloud/gophercloud/openstack/containerinfra/v1/clustertemplates"
	"github.com/gophercloud/gophercloud/openstack/containerinfra/v1/nodegroups"
	"github.com/gophercloud/gophercloud/openstack/orchestration/v1/stackresources"
	"github.com/gophercloud/gophercloud/openstack/orchestration/v1/stacks"
)

// Microversions the two tools send.
const (
	// Terraform's nodegroup resources and the autoscaler's node group API.
	nodeGroupsVersion = "1.9"
	// Upgrades (Terraform's cluster upgrade).
	upgradeVersion = "1.8"
)

type options struct {
	name, image, flavor, externalNetwork string
	fromTag, toTag                       string
	resizeVersion                        string
	nodeCount                            int
	timeout                              time.Duration
	pause                                bool
}

// member is one node of a nodegroup as the autoscaler sees it: the
// kube_minions member (its index), Heat's status of it and its server.
type member struct {
	Index    string `json:"index"`
	Status   string `json:"status"`
	ServerID string `json:"server_id"`
}

// discovery is what the autoscaler learns from a nodegroup's stack.
type discovery struct {
	StackID          string            `json:"stack_id"`
	StackName        string            `json:"stack_name"`
	MinionsStackID   string            `json:"kube_minions_stack_id"`
	MinionsStackName string            `json:"kube_minions_stack_name"`
	RefsMap          map[string]string `json:"refs_map"`
	Members          []member          `json:"members"`
}

type report struct {
	ClusterUUID   string             `json:"cluster_uuid"`
	Nodegroups    []string           `json:"nodegroups"`
	DefaultWorker string             `json:"default_worker"`
	AfterCreate   discovery          `json:"after_create"`
	AfterScaleUp  discovery          `json:"after_scale_up"`
	Removed       []string           `json:"removed"`
	AfterRemove   discovery          `json:"after_remove"`
	NodeCount     int                `json:"node_count_after_remove"`
	VersionBefore string             `json:"coe_version_before"`
	VersionAfter  string             `json:"coe_version_after"`
	AfterUpgrade  discovery          `json:"after_upgrade"`
	Seconds       map[string]float64 `json:"seconds"`
	ResizeVersion string             `json:"resize_microversion"`
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "lifecycle: "+format+"\n", args...)
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "lifecycle: %s: %v\n", step, err)
	os.Exit(1)
}

func parseOptions() options {
	var o options
	flag.StringVar(&o.name, "name", "gopher", "prefix of the names created")
	flag.StringVar(&o.image, "image", "fedora-coreos", "image of the templates")
	flag.StringVar(&o.flavor, "flavor", "m1.small", "flavor of every node")
	flag.StringVar(&o.externalNetwork, "external-network", "public", "external network")
	flag.StringVar(&o.fromTag, "from-kube-tag", "", "kube_tag of the first template")
	flag.StringVar(&o.toTag, "to-kube-tag", "", "kube_tag of the template upgraded to")
	flag.StringVar(&o.resizeVersion, "resize-microversion", "latest",
		"microversion of the resizes (the autoscaler: latest; 1.10 before)")
	flag.IntVar(&o.nodeCount, "node-count", 2, "workers of the new cluster")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "wait per operation")
	flag.BoolVar(&o.pause, "pause-before-delete", false,
		"print the findings, then wait for a line on stdin before deleting")
	flag.Parse()
	if o.fromTag == "" || o.toTag == "" {
		fail("options", fmt.Errorf("-from-kube-tag and -to-kube-tag are required"))
	}
	return o
}

// clients authenticates with the OS_* variables and finds both services
// in the catalog, as both tools do.
func clients() (*gophercloud.ServiceClient, *gophercloud.ServiceClient) {
	auth, err := openstack.AuthOptionsFromEnv()
	if err != nil {
		fail("auth options", err)
	}
	provider, err := openstack.AuthenticatedClient(auth)
	if err != nil {
		fail("authenticate", err)
	}
	where := gophercloud.EndpointOpts{Region: os.Getenv("OS_REGION_NAME")}
	magnum, err := openstack.NewContainerInfraV1(provider, where)
	if err != nil {
		fail("container-infra endpoint", err)
	}
	heat, err := openstack.NewOrchestrationV1(provider, where)
	if err != nil {
		fail("orchestration endpoint", err)
	}
	return magnum, heat
}

func createTemplate(magnum *gophercloud.ServiceClient, o options, name, tag string) string {
	lb, fip := false, true
	created, err := clustertemplates.Create(magnum, clustertemplates.CreateOpts{
		Name: name, COE: "kubernetes", ImageID: o.image,
		FlavorID: o.flavor, MasterFlavorID: o.flavor,
		ExternalNetworkID: o.externalNetwork, NetworkDriver: "calico",
		MasterLBEnabled: &lb, FloatingIPEnabled: &fip,
		Labels: map[string]string{"kube_tag": tag},
	}).Extract()
	if err != nil {
		fail("create template "+name, err)
	}
	return created.UUID
}

// waitFor polls the cluster until its status is one of wanted;
// a *_FAILED status ends the wait (and the run).
func waitFor(magnum *gophercloud.ServiceClient, uuid string, timeout time.Duration, wanted ...string) *clusters.Cluster {
	deadline := time.Now().Add(timeout)
	for {
		cluster, err := clusters.Get(magnum, uuid).Extract()
		if err != nil {
			fail("get cluster", err)
		}
		for _, status := range wanted {
			if cluster.Status == status {
				return cluster
			}
		}
		if len(cluster.Status) > 7 && cluster.Status[len(cluster.Status)-7:] == "_FAILED" {
			fail("wait", fmt.Errorf("cluster is %s: %s", cluster.Status, cluster.StatusReason))
		}
		if time.Now().After(deadline) {
			fail("wait", fmt.Errorf("cluster still %s after %s", cluster.Status, timeout))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func waitGone(magnum *gophercloud.ServiceClient, uuid string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		_, err := clusters.Get(magnum, uuid).Extract()
		if _, gone := err.(gophercloud.ErrDefault404); gone {
			return
		}
		if err != nil {
			fail("get deleted cluster", err)
		}
		if time.Now().After(deadline) {
			fail("delete", fmt.Errorf("cluster still there after %s", timeout))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// defaultWorker lists the nodegroups (1.9) and returns their names and
// the default worker nodegroup, read in full as the autoscaler does
// (the list lacks min/max).
func defaultWorker(magnum *gophercloud.ServiceClient, cluster string) ([]string, *nodegroups.NodeGroup) {
	client := *magnum
	client.Microversion = nodeGroupsVersion
	pages, err := nodegroups.List(&client, cluster, nodegroups.ListOpts{}).AllPages()
	if err != nil {
		fail("list nodegroups", err)
	}
	groups, err := nodegroups.ExtractNodeGroups(pages)
	if err != nil {
		fail("extract nodegroups", err)
	}
	var names []string
	var worker *nodegroups.NodeGroup
	for _, group := range groups {
		names = append(names, group.Name)
		if group.Role != "master" && group.IsDefault {
			worker, err = nodegroups.Get(&client, cluster, group.UUID).Extract()
			if err != nil {
				fail("get nodegroup", err)
			}
		}
	}
	sort.Strings(names)
	if worker == nil {
		fail("nodegroups", fmt.Errorf("no default worker nodegroup among %v", names))
	}
	return names, worker
}

// discover finds a nodegroup's nodes the way the autoscaler's Magnum
// provider does: the nodegroup's stack by id, its kube_minions resource,
// that nested stack's members and its refs_map output.
func discover(heat *gophercloud.ServiceClient, stackID string) discovery {
	stack, err := stacks.Find(heat, stackID).Extract()
	if err != nil {
		fail("find nodegroup stack", err)
	}
	found := discovery{StackID: stackID, StackName: stack.Name, RefsMap: map[string]string{}}
	minions, err := stackresources.Get(heat, stack.Name, stackID, "kube_minions").Extract()
	if err != nil {
		fail("get kube_minions resource", err)
	}
	found.MinionsStackID = minions.PhysicalID
	nested, err := stacks.Find(heat, minions.PhysicalID).Extract()
	if err != nil {
		fail("find kube_minions stack", err)
	}
	found.MinionsStackName = nested.Name
	pages, err := stackresources.List(heat, nested.Name, nested.ID, nil).AllPages()
	if err != nil {
		fail("list kube_minions members", err)
	}
	resources, err := stackresources.ExtractResources(pages)
	if err != nil {
		fail("extract kube_minions members", err)
	}
	full, err := stacks.Get(heat, nested.Name, nested.ID).Extract()
	if err != nil {
		fail("get kube_minions stack", err)
	}
	for _, output := range full.Outputs {
		if output["output_key"] != "refs_map" {
			continue
		}
		refs, ok := output["output_value"].(map[string]interface{})
		if !ok {
			fail("refs_map", fmt.Errorf("not a map: %v", output["output_value"]))
		}
		for index, id := range refs {
			found.RefsMap[index], _ = id.(string)
		}
	}
	for _, r := range resources {
		found.Members = append(found.Members, member{
			Index: r.Name, Status: r.Status, ServerID: found.RefsMap[r.Name]})
	}
	sort.Slice(found.Members, func(i, j int) bool {
		return found.Members[i].Index < found.Members[j].Index
	})
	return found
}

// resize sends what the autoscaler sends: node_count, the nodegroup and
// (scaling down) the server ids of the nodes to remove.
func resize(magnum *gophercloud.ServiceClient, o options, cluster, nodegroup string, count int, remove []string) {
	client := *magnum
	client.Microversion = o.resizeVersion
	_, err := clusters.Resize(&client, cluster, clusters.ResizeOpts{
		NodeCount: &count, NodeGroup: nodegroup, NodesToRemove: remove,
	}).Extract()
	if err != nil {
		fail("resize", err)
	}
}

// upgrade posts the upgrade action as Terraform does (gophercloud 0.12
// has no call for it: the request by hand, through the same client).
func upgrade(magnum *gophercloud.ServiceClient, cluster, template string) {
	client := *magnum
	client.Microversion = upgradeVersion
	body := map[string]interface{}{"cluster_template": template, "max_batch_size": 2}
	url := client.ServiceURL("clusters", cluster, "actions", "upgrade")
	_, err := client.Post(url, body, nil, &gophercloud.RequestOpts{OkCodes: []int{202}})
	if err != nil {
		fail("upgrade", err)
	}
}

func main() {
	o := parseOptions()
	magnum, heat := clients()
	rep := report{Seconds: map[string]float64{}, ResizeVersion: o.resizeVersion}
	timed := func(step string, since time.Time) {
		rep.Seconds[step] = time.Since(since).Seconds()
		logf("%s: %.1fs", step, rep.Seconds[step])
	}

	t0 := time.Now()
	from := createTemplate(magnum, o, o.name+"-from", o.fromTag)
	to := createTemplate(magnum, o, o.name+"-to", o.toTag)
	masters := 1
	uuid, err := clusters.Create(magnum, clusters.CreateOpts{
		Name: o.name, ClusterTemplateID: from, MasterCount: &masters,
		NodeCount: &o.nodeCount,
	}).Extract()
	if err != nil {
		fail("create cluster", err)
	}
	rep.ClusterUUID = uuid
	created := waitFor(magnum, uuid, o.timeout, "CREATE_COMPLETE")
	rep.VersionBefore = created.COEVersion
	timed("create", t0)

	var worker *nodegroups.NodeGroup
	rep.Nodegroups, worker = defaultWorker(magnum, uuid)
	rep.DefaultWorker = worker.UUID
	rep.AfterCreate = discover(heat, worker.StackID)

	t0 = time.Now()
	resize(magnum, o, uuid, worker.UUID, o.nodeCount+2, nil)
	waitFor(magnum, uuid, o.timeout, "UPDATE_COMPLETE")
	rep.AfterScaleUp = discover(heat, worker.StackID)
	timed("scale_up", t0)

	// Remove two nodes as the autoscaler does: member 1 by its server id
	// (the SystemUUID of a node it picked), the last member by its index
	// (a node without a server id, which it knows as fake:///<ng>/<index>).
	t0 = time.Now()
	last := fmt.Sprint(o.nodeCount + 1)
	rep.Removed = []string{rep.AfterScaleUp.RefsMap["1"], last}
	resize(magnum, o, uuid, worker.UUID, o.nodeCount, rep.Removed)
	waitFor(magnum, uuid, o.timeout, "UPDATE_COMPLETE")
	_, worker = defaultWorker(magnum, uuid)
	rep.NodeCount = worker.NodeCount
	rep.AfterRemove = discover(heat, worker.StackID)
	timed("remove_node", t0)

	t0 = time.Now()
	upgrade(magnum, uuid, to)
	upgraded := waitFor(magnum, uuid, o.timeout, "UPDATE_COMPLETE")
	rep.VersionAfter = upgraded.COEVersion
	rep.AfterUpgrade = discover(heat, worker.StackID)
	timed("upgrade", t0)

	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	if o.pause {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}

	t0 = time.Now()
	if err := clusters.Delete(magnum, uuid).ExtractErr(); err != nil {
		fail("delete cluster", err)
	}
	waitGone(magnum, uuid, o.timeout)
	for _, template := range []string{from, to} {
		if err := clustertemplates.Delete(magnum, template).ExtractErr(); err != nil {
			fail("delete template", err)
		}
	}
	timed("delete", t0)
	out, _ = json.Marshal(map[string]interface{}{
		"deleted": true, "delete_seconds": rep.Seconds["delete"]})
	fmt.Println(string(out))
}
