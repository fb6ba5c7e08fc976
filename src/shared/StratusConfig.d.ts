/**
 * The Stratus configuration file: where the app and the CLI find the bucket,
 * the S3 endpoint and the sign-in settings. JSON, versioned, no secrets (tokens
 * live in the OS vault; the `aws` mode uses the AWS SDK's own credential chain).
 *
 *   {
 *     "version": 1,
 *     "auth": "cognito",                       // or "aws"
 *     "region": "us-east-1",
 *     "bucket": "stratus",
 *     "endpoint": "http://127.0.0.1:4566",      // optional: any S3-compatible server
 *     "forcePathStyle": true,                  // optional: path-style addressing
 *     "prefix": "team/ada/",                   // aws mode only: the prefix to sync
 *     "folder": "/home/ada/Stratus",           // optional: local sync root
 *     "cognito": {                             // cognito mode only
 *       "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
 *       "clientId": "…", "identityPoolId": "us-east-1:…",
 *       "redirectUri": "http://localhost:53682/callback",
 *       "identityEndpoint": "http://127.0.0.1:4567",   // optional: Cognito Identity endpoint
 *       "hostedUiBase": "https://auth.example.com"      // optional: for /logout when discovery lacks it
 *     }
 *   }
 */
export interface CognitoSettings {
    readonly issuer: string;
    readonly clientId: string;
    readonly identityPoolId: string;
    readonly redirectUri: string;
    readonly identityEndpoint?: string;
    readonly hostedUiBase?: string;
}
export interface StratusConfig {
    readonly version: 1;
    readonly auth: 'cognito' | 'aws';
    readonly region: string;
    readonly bucket: string;
    readonly endpoint?: string;
    readonly forcePathStyle?: boolean;
    readonly prefix?: string;
    readonly folder?: string;
    readonly cognito?: CognitoSettings;
}
export type ConfigResult = {
    readonly ok: true;
    readonly config: StratusConfig;
} | {
    readonly ok: false;
    readonly errors: string[];
};
/** Validates a parsed config file; every problem is listed, each in one line. */
export declare function parseStratusConfig(value: unknown): ConfigResult;
