use super::*;

const MODELS: &str = r#"package profitsharing

import (
	"encoding/json"
	"time"
)

// AddReceiverRequest
type AddReceiverRequest struct {
	// receiver account
	Account *string `json:"account"`
	// name of the receiver
	// (second line)
	Name *string `json:"name,omitempty" encryption:"EM_APIV3"`
	Type     *ReceiverType `json:"type,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	Extra    map[string]interface{} `json:"extra,omitempty"`
	When     *time.Time    `json:"when,omitempty"`
	Grid     [][]int32     `json:"grid,omitempty"`
	Rate     *float64      `json:"rate,omitempty"`
}

func (o AddReceiverRequest) MarshalJSON() ([]byte, error) {
	toSerialize := map[string]interface{}{}
	return json.Marshal(toSerialize)
}

type Empty struct{}

// ReceiverType
type ReceiverType string

func (e ReceiverType) Ptr() *ReceiverType {
	return &e
}

// Enums of ReceiverType
const (
	RECEIVERTYPE_MERCHANT_ID     ReceiverType = "MERCHANT_ID"
	RECEIVERTYPE_PERSONAL_OPENID ReceiverType = "PERSONAL_OPENID"
)

type NoValues string

type Receiver AddReceiverRequest

type Level int64

const LEVEL_ONE Level = 1
"#;

fn models() -> Package {
    parse_models("profitsharing", Path::new("profitsharing/models.go"), MODELS).unwrap()
}

#[test]
fn struct_fields_required_optional_encrypted() {
    let p = models();
    let st = &p.structs["AddReceiverRequest"];
    assert_eq!((st.line, st.fields.len()), (9, 8));
    let account = &st.fields[0];
    assert_eq!(
        (account.go_name.as_str(), account.json.as_str()),
        ("Account", "account")
    );
    assert!(account.required && !account.encrypted);
    assert_eq!((account.doc.as_str(), account.line), ("receiver account", 11));
    let name = &st.fields[1];
    assert!(!name.required && name.encrypted);
    assert_eq!(name.doc, "name of the receiver\n(second line)");
    assert_eq!(st.fields[2].doc, "");
    assert!(p.structs["Empty"].fields.is_empty());
}

#[test]
fn field_types() {
    let st = &models().structs["AddReceiverRequest"];
    let ty = |i: usize| st.fields[i].ty.clone();
    assert_eq!(ty(0), GoType::String);
    let named = GoType::Named(TypeRef::new("profitsharing", "ReceiverType"));
    assert_eq!(ty(2), named);
    assert_eq!(ty(2).named(), Some(TypeRef::new("profitsharing", "ReceiverType")));
    assert_eq!(ty(3).element(), Some(&GoType::String));
    assert_eq!(ty(4), GoType::Map(Box::new(GoType::Any)));
    assert_eq!(ty(5), GoType::Time);
    assert_eq!(ty(6).base(), &GoType::Int { bits: 32 });
    assert_eq!(ty(6).to_string(), "[][]int32");
    assert_eq!(ty(7), GoType::Float { bits: 64 });
}

#[test]
fn enums_and_aliases() {
    let p = models();
    let e = &p.enums["ReceiverType"];
    assert_eq!(e.values, ["MERCHANT_ID", "PERSONAL_OPENID"]);
    assert_eq!(e.line, 31);
    assert!(p.enums["NoValues"].values.is_empty());
    assert!(!p.structs.contains_key("NoValues"));
    let a = &p.aliases["Level"];
    assert_eq!(
        (&a.ty, a.values.as_slice()),
        (&GoType::Int { bits: 64 }, &["1".to_owned()][..])
    );
}

#[test]
fn unreadable_field_is_an_error_with_its_line() {
    let text = "package x\n\ntype A struct {\n\tB *string `json:\"b\n}\n";
    let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
    assert_eq!(e.to_string(), "x/models.go:4: field without a tag: B *string `json:\"b");
    let text = "package x\n\ntype A struct {\n\tB *uint8 `json:\"b\"`\n}\n";
    let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
    assert_eq!(e.to_string(), "x/models.go:4: unknown Go type `uint8`");
    let text = "package x\n\ntype A struct {\n\tB *string `json:\"b\" encryption:\"X\"`\n}\n";
    let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
    assert!(e.to_string().contains("unknown encryption `X`"), "{e}");
}

const API: &str = r#"package jsapi

import (
	"context"
	nethttp "net/http"
	neturl "net/url"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	pay "github.com/wechatpay-apiv3/wechatpay-go/services/payments"
)

type JsapiApiService services.Service

// CloseOrder close an order
//
// more text
func (a *JsapiApiService) CloseOrder(ctx context.Context, req CloseOrderRequest) (resp *pay.Transaction, result *core.APIResult, err error) {
	var (
		localVarHTTPMethod   = nethttp.MethodPost
		localVarPostBody     interface{}
		localVarQueryParams  neturl.Values
		localVarHeaderParams = nethttp.Header{}
	)

	localVarPath := consts.WechatPayAPIServer + "/v3/x/{out_trade_no}/close"
	localVarPath = strings.Replace(localVarPath, "{"+"out_trade_no"+"}", neturl.PathEscape(core.ParameterToString(*req.OutTradeNo, "")), -1)

	localVarQueryParams = neturl.Values{}
	if req.Limit != nil {
		localVarQueryParams.Add("limit", core.ParameterToString(*req.Limit, ""))
	}

	if encryptCertificate != "" {
		localVarHeaderParams.Set(consts.WechatPaySerial, encryptCertificate)
	}

	localVarPostBody = &CloseRequest{
		Mchid: req.Mchid,
	}

	result, err = a.Client.Request(ctx, localVarHTTPMethod, localVarPath, localVarHeaderParams, localVarQueryParams, localVarPostBody, localVarHTTPContentType)
	resp = new(pay.Transaction)
	return resp, result, nil
}

// Prepay
func (a *JsapiApiService) Prepay(ctx context.Context, req PrepayRequest) (result *core.APIResult, err error) {
	var (
		localVarHTTPMethod   = nethttp.MethodPatch
	)
	localVarPath := consts.WechatPayAPIServer + "/v3/p/{id}"
	localVarPath = strings.Replace(localVarPath, "{"+"id"+"}", neturl.PathEscape(core.ParameterToString(*req.Id, "")), -1)
	localVarPostBody = req
	return result, nil
}

func (a *JsapiApiService) Helper(
	ctx context.Context, req PrepayRequest,
) (resp *PrepayResponse, result *core.APIResult, err error) {
	return a.Prepay(ctx, req)
}
"#;

#[test]
fn api_operation_with_path_query_body_and_response() {
    let ops = parse_api("payments/jsapi", Path::new("payments/jsapi/api_jsapi.go"), API).unwrap();
    assert_eq!(ops.len(), 2, "the helper without localVarPath is not an operation");
    let (op, body_is_request) = &ops[0];
    assert!(!body_is_request);
    assert_eq!((op.name.as_str(), op.line), ("CloseOrder", 18));
    assert_eq!(op.key(), ("post".to_owned(), "/v3/x/{out_trade_no}/close".to_owned()));
    let wire: Vec<_> = op.path_params.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
    assert_eq!(wire, [("out_trade_no", "OutTradeNo")]);
    let query: Vec<_> = op.query.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
    assert_eq!(query, [("limit", "Limit")]);
    let jsapi = |n: &str| Some(TypeRef::new("payments/jsapi", n));
    assert_eq!(op.request, jsapi("CloseOrderRequest"));
    assert_eq!(op.body, jsapi("CloseRequest"));
    assert_eq!(op.response, Some(TypeRef::new("payments", "Transaction")));
    assert!(op.encrypts);
    assert_eq!(op.summary.as_deref(), Some("close an order"));
    let (op, body_is_request) = &ops[1];
    assert!(body_is_request);
    assert_eq!((op.method.as_str(), op.summary.as_deref()), ("PATCH", None));
    assert_eq!((op.body.clone(), op.response.clone()), (jsapi("PrepayRequest"), None));
}

#[test]
fn read_a_folder_resolves_body_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let jsapi = dir.path().join("payments/jsapi");
    std::fs::create_dir_all(&jsapi).unwrap();
    std::fs::write(jsapi.join("api_jsapi.go"), API).unwrap();
    let models = "package jsapi\n\ntype PrepayRequest struct {\n\tId *string `json:\"id\"`\n\
                  \tAmount *int64 `json:\"amount\"`\n}\n";
    std::fs::write(jsapi.join("models.go"), models).unwrap();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let sdk = Sdk::read(dir.path()).unwrap();
    assert_eq!(sdk.packages.keys().collect::<Vec<_>>(), ["payments/jsapi"]);
    let op = sdk.operations_at("PATCH", "/v3/p/{id}").next().unwrap();
    assert_eq!(op.body_excludes, ["id"]);
    let fields: Vec<_> = sdk.body_fields(op).iter().map(|f| f.json.as_str()).collect();
    assert_eq!(fields, ["amount"]);
    assert_eq!(sdk.operations[0].path, "/v3/p/{id}", "sorted by path");
}

#[test]
fn read_error_names_the_full_path() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    std::fs::write(x.join("models.go"), "type A struct {\n\tB *string\n}\n").unwrap();
    let e = Sdk::read(dir.path()).unwrap_err().to_string();
    let want = format!("{}:2: field without a tag", x.join("models.go").display());
    assert!(e.starts_with(&want), "{e}");
}

/// The real reference copy, when present: the counts observed at the pinned commit.
#[test]
fn reads_the_reference_copy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/wechatpay-go/services");
    if !dir.is_dir() {
        println!("skipped: ../shared/reference/wechatpay-go not found");
        return;
    }
    let sdk = Sdk::read(&dir).unwrap();
    let count = |f: fn(&Package) -> usize| sdk.packages.values().map(f).sum::<usize>();
    let fields = sdk
        .packages
        .values()
        .flat_map(|p| p.structs.values())
        .flat_map(|s| &s.fields);
    let encrypted = fields.filter(|f| f.encrypted).count();
    let encrypts = sdk.operations.iter().filter(|o| o.encrypts).count();
    let observed = (
        sdk.packages.len(),
        count(|p| p.structs.len()),
        count(|p| p.enums.len()),
        count(|p| p.aliases.len()),
        sdk.operations.len(),
        encrypts,
        encrypted,
    );
    // (packages, structs, enums, aliases, operations, operations that encrypt, encrypted fields)
    assert_eq!(observed, (24, 414, 71, 1, 137, 7, 13));
    let keys: std::collections::BTreeSet<_> = sdk.operations.iter().map(GoOperation::key).collect();
    println!("{observed:?}, {} distinct (method, path)", keys.len());
    assert_reference_samples(&sdk);
}

fn assert_reference_samples(sdk: &Sdk) {
    let path = "/v3/pay/transactions/id/{transaction_id}";
    let ops: Vec<_> = sdk.operations_at("get", path).collect();
    assert!(!ops.is_empty());
    for op in ops {
        let query: Vec<_> = op.query.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
        assert_eq!(query, [("mchid", "Mchid")], "{}", op.package);
        assert_eq!(op.response, Some(TypeRef::new("payments", "Transaction")));
        assert!(sdk.find_struct(op.response.as_ref().unwrap()).is_some());
    }
    let req = sdk
        .find_struct(&TypeRef::new("profitsharing", "AddReceiverRequest"))
        .unwrap();
    let field = |json: &str| req.fields.iter().find(|f| f.json == json).unwrap();
    assert!(field("name").encrypted && !field("name").required);
    assert!(field("account").required && !field("account").encrypted);
    let relation = field("relation_type").ty.named().unwrap();
    assert!(sdk
        .find_enum(&relation)
        .is_some_and(|e| e.values.contains(&"STORE".to_owned())));
    let add = sdk
        .operations_at("POST", "/v3/profitsharing/receivers/add")
        .next()
        .unwrap();
    assert!(add.encrypts);
    assert_eq!(sdk.body_fields(add).len(), req.fields.len());
    // `type CreateBusifavorStockRequest CreateBusiFavorStockRequest`: found through the alias.
    let create = sdk
        .operations_at("POST", "/v3/marketing/busifavor/stocks")
        .next()
        .unwrap();
    let st = sdk.find_struct(create.request.as_ref().unwrap()).unwrap();
    assert_eq!(st.name, "CreateBusiFavorStockRequest");
}
