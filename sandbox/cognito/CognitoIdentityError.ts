/**
 * An error the identity API returns in the AWS JSON 1.1 shape:
 * HTTP status + `{"__type": "...", "message": "..."}` + `x-amzn-ErrorType` header,
 * which the AWS SDK turns into a typed exception (`err.name === __type`).
 */
export type CognitoIdentityErrorType =
  | 'NotAuthorizedException'
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalErrorException';

export class CognitoIdentityError extends Error {
  constructor(
    readonly type: CognitoIdentityErrorType,
    message: string,
    /** 400 for caller errors; 500 only for InternalErrorException, which the SDK retries. */
    readonly status = type === 'InternalErrorException' ? 500 : 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** Cognito's texts for rejected login tokens all start with this. */
export const INVALID_LOGIN = 'Invalid login token.';
