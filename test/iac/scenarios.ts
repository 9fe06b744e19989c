/**
 * The deploy environments the IaC tests evaluate sst.config.ts with: a provisioned cluster without
 * SSO, and Serverless with a CMK-encrypted secret and SSO.
 */

/** A secret value long enough to find anywhere it leaks. */
const AUTH_SECRET = "auth-secret-canary-6f1d0c2e9b7a4853";
const BASE = {
  PUBLIC_URL: "https://exports.acmeflowers.example",
  MAIL_SENDER: "acmeflowers.example",
  REDSHIFT_DATABASE: "warehouse",
  REDSHIFT_IAM_ROLE_ARN: "arn:aws:iam::123456789012:role/portal-unload",
  RETENTION_DAYS: "5",
  SST_SECRET_AuthSecret: AUTH_SECRET,
};
export const CLUSTER_ENV = { ...BASE, REDSHIFT_CLUSTER_ID: "acme-dw", REDSHIFT_DB_USER: "portal" };
/** The SSO client secret: as findable as AUTH_SECRET. */
export const OIDC_CLIENT_SECRET = "oidc-client-secret-canary-2a9e71c4";
export const SSO_ENV = {
  OIDC_ISSUER: "https://login.acmeflowers.example/realms/partners",
  OIDC_CLIENT_ID: "export-portal",
  OIDC_SUPPLIER_DOMAINS: "rose.example=sup_rose,tulip.example=sup_tulip",
  OIDC_SUPPLIER_CLAIM: "supplier",
  OIDC_DEFAULT_MEMBERSHIP: "viewer",
  SST_SECRET_OidcClientSecret: OIDC_CLIENT_SECRET,
};
export const SERVERLESS_ENV = {
  ...SSO_ENV,
  ...BASE,
  REDSHIFT_WORKGROUP: "acme-exports",
  SST_SECRET_RedshiftSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:portal-redshift-AbCdEf",
  REDSHIFT_SECRET_KMS_KEY_ARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ALARM_EMAIL: "ops@acmeflowers.example",
};
