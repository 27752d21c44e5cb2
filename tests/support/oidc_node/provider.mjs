// node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// panva/node-oidc-provider on http://127.0.0.1:PORT with its development login and consent
// pages: any login name signs in; its account has a verified e-mail NAME@uni.example. Like the
// library's defaults, the id_token holds only `sub`: the client reads userinfo.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id, email: `${id}@uni.example`, email_verified: true, name: `Teacher ${id}`,
    }),
  }),
  features: { devInteractions: { enabled: true } },
});
provider.listen(Number(port), "127.0.0.1", () => console.log("oidc-provider ready"));
