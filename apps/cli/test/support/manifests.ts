/** A RetryPolicy on `payments` as a user would write it in YAML, for the apply tests. */
export const retryPolicyYaml = (attempts: number, name = 'payments-retry') => `apiVersion: trellis.dev/v1alpha1
kind: RetryPolicy
metadata:
  name: ${name}
spec:
  targetRef: {kind: Service, name: payments}
  attempts: ${attempts}
`;
